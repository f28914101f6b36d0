/** Registers every store contract against one implementation. */
import { describeAccountStoreContracts } from './account-store.contract.ts';
import { describeAgentStoreContract } from './agent-store.contract.ts';
import { describeConversationStoreContract } from './conversation-store.contract.ts';
import { describeAuditLogContract, describeSettingsStoreContract } from './audit-log.contract.ts';
import type { StoreHarness } from './fixtures.ts';
import { describePlanStoreContract, describeStatsStoreContract } from './learning-store.contract.ts';
import { describeMemoryStoreContract } from './memory-store.contract.ts';
import { describeRunCommitContract } from './run-commit.contract.ts';
import { describeRunSlicesContract } from './run-slices.contract.ts';
import { describeRunStoreContract } from './run-store.contract.ts';
import { describeRunTreeContract } from './run-tree.contract.ts';
import { describeToolCallJournalContract } from './tool-call-journal.contract.ts';

/** Every contract, named `<Port> [name]`. */
export function describeStoreContracts(name: string, harness: StoreHarness): void {
  describeRunStoreContract(name, harness);
  describeRunCommitContract(name, harness);
  describeRunSlicesContract(name, harness);
  describeRunTreeContract(name, harness);
  describeToolCallJournalContract(name, harness);
  describeAgentStoreContract(name, harness);
  describeMemoryStoreContract(name, harness);
  describeStatsStoreContract(name, harness);
  describePlanStoreContract(name, harness);
  describeAuditLogContract(name, harness);
  describeSettingsStoreContract(name, harness);
  describeConversationStoreContract(name, harness);
  describeAccountStoreContracts(name, harness);
}
