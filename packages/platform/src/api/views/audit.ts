/** How audit entries and tools look through the API. */
import type { AnyTool, AuditRecord } from '@autonoma/core';
import { Risk, describeTool } from '@autonoma/core';
import { z } from 'zod';

/** An audit log entry, with its place in the hash chain. */
export const AuditEntryView = z
  .object({
    id: z.number().int(),
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    detail: z.record(z.string(), z.unknown()),
    at: z.number(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEntry' });
/** An audit entry as clients see it. */
export type AuditEntryView = z.infer<typeof AuditEntryView>;

/** The client view of an audit record. */
export const toAuditEntryView = (record: AuditRecord): AuditEntryView =>
  AuditEntryView.parse({
    id: record.id,
    actor: record.actor,
    action: record.action,
    target: record.target,
    detail: record.detail,
    at: record.at,
    prevHash: record.prevHash,
    hash: record.hash,
  });

/** The result of verifying the chain. */
export const AuditVerification = z.object({
  intact: z.boolean(),
  brokenAt: z.number().int().nullable().describe('id of the first entry that does not verify'),
});

/** A tool runs may use. */
export const ToolView = z
  .object({
    name: z.string(),
    description: z.string(),
    risk: Risk,
    idempotent: z.boolean(),
    inputSchema: z.record(z.string(), z.unknown()).describe('JSON Schema of the input'),
  })
  .meta({ id: 'Tool' });
/** A tool as clients see it. */
export type ToolView = z.infer<typeof ToolView>;

/** The client view of a tool. */
export function toToolView(tool: AnyTool): ToolView {
  const { name, description, risk, idempotent, inputSchema } = describeTool(tool);
  return { name, description, risk, idempotent, inputSchema };
}
