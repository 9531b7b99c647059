import type { EventOutboxStore } from './event-store.js';
import type { ExecutionStore } from './execution-store.js';
import type { LineageStore } from './lineage-store.js';
import type { ModelRegistryStore } from './registry-store.js';

/** Everything Cairn persists, behind one object. */
export interface CairnStore extends ExecutionStore, ModelRegistryStore, LineageStore, EventOutboxStore {
  /** 'memory', 'sqlite', 'postgres'. */
  readonly kind: string;
}
