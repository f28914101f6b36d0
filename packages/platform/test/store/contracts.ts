/** Registers every store contract against one implementation. */
import { describeAgentStoreContract } from './agent-store.contract.ts';
import {
  describeAuditLogContract,
  describeSettingsStoreContract,
  type TamperAudit,
} from './audit-log.contract.ts';
import type { GetStores } from './fixtures.ts';
import { describePlanStoreContract, describeStatsStoreContract } from './learning-store.contract.ts';
import { describeMemoryStoreContract } from './memory-store.contract.ts';
import { describeRunStoreContract, describeToolCallJournalContract } from './run-store.contract.ts';

/** Every contract, named `<Port> [name]`. */
export function describeStoreContracts(name: string, getStores: GetStores, tamperAudit: TamperAudit): void {
  describeRunStoreContract(name, getStores);
  describeToolCallJournalContract(name, getStores);
  describeAgentStoreContract(name, getStores);
  describeMemoryStoreContract(name, getStores);
  describeStatsStoreContract(name, getStores);
  describePlanStoreContract(name, getStores);
  describeAuditLogContract(name, getStores, tamperAudit);
  describeSettingsStoreContract(name, getStores);
}
