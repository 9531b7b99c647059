import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { EventDispatcher, type EventDispatcherOptions } from '../events/dispatcher.js';
import { MODEL_PACKAGE_STATE_CHANGE, modelPackageStateChangeEvent } from '../events/model-package-event.js';
import type { EventSink } from '../events/sinks.js';
import type { EventOutboxStore } from '../store/event-store.js';
import {
  ModelApprovalStatus,
  type ApprovalChange,
  type CreateModelPackageInput,
  type ModelPackageGroupRecord,
  type ModelPackageRecord,
  type ModelRegistryStore,
  type OutboxRequest,
} from '../store/registry-store.js';
import { modelPackageNotFound } from '../store/store-support.js';
import { checkApprovalTransition } from './approval-transitions.js';

/** Options of `ModelRegistry`. */
export interface ModelRegistryOptions {
  /** Where packages, the audit trail and the event outbox live. */
  store: ModelRegistryStore & EventOutboxStore;
  /** Where "SageMaker Model Package State Change" events go. @defaultValue none (events are not recorded) */
  sinks?: readonly EventSink[];
  /** Retry settings of event delivery. */
  delivery?: Omit<EventDispatcherOptions, 'store' | 'sinks' | 'clock' | 'logger'>;
  /** The remote registry mirrored versions belong to (SageMaker's): approvals go there first, `refresh` reads it. */
  remote?: RemoteModelRegistry;
  clock?: Clock;
  logger?: Logger;
}

/**
 * A registry some versions mirror (SageMaker's, for packages a SageMaker step registered). Cairn
 * changes the remote status before its own, and reads it back in `refresh` and `waitForApproval`.
 */
export interface RemoteModelRegistry {
  /** The remote ARN of a mirrored version; `undefined` for Cairn's own versions. */
  remoteArn(record: ModelPackageRecord): string | undefined;
  /** Sets the remote approval status (UpdateModelPackage). */
  updateApprovalStatus(remoteArn: string, status: ModelApprovalStatus, reason?: string): Promise<void>;
  /** Reads the remote approval status (DescribeModelPackage). */
  describeApproval(remoteArn: string): Promise<{ status: ModelApprovalStatus; reason?: string; by?: string }>;
}

/** Input of `ModelRegistry.updateApprovalStatus`: the store's, without the outbox (the registry adds it). */
export type ApprovalUpdate = Omit<Parameters<ModelRegistryStore['updateApprovalStatus']>[0], 'outbox'>;

/** What `waitForApproval` saw: the wanted status, the opposite decision, or nothing in time. */
export type ApprovalWaitOutcome = { outcome: 'reached' | 'opposite'; record: ModelPackageRecord } | { outcome: 'timeout'; record: ModelPackageRecord };

/**
 * The Model Registry service: approval gates over a store. It checks approval transitions,
 * keeps the audit trail, and records a "SageMaker Model Package State Change" event for every
 * creation and change in the same transaction (delivered to the sinks with retries). It is a
 * `ModelRegistryStore` itself, so a runtime can hand it to RegisterModel steps and creations
 * emit events too.
 */
export class ModelRegistry implements ModelRegistryStore {
  /** Delivers the recorded events; absent without sinks. */
  readonly dispatcher: EventDispatcher | undefined;
  private readonly store: ModelRegistryStore & EventOutboxStore;
  private readonly remote: RemoteModelRegistry | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: ModelRegistryOptions) {
    this.store = options.store;
    this.remote = options.remote;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.dispatcher =
      options.sinks && options.sinks.length > 0
        ? new EventDispatcher({ ...options.delivery, store: options.store, sinks: options.sinks, clock: this.clock, logger: this.logger })
        : undefined;
  }

  ensureModelPackageGroup(input: { name: string; description?: string; arnPrefix: string; now: number }): Promise<ModelPackageGroupRecord> {
    return this.store.ensureModelPackageGroup(input);
  }

  getModelPackageGroup(name: string): Promise<ModelPackageGroupRecord | undefined> {
    return this.store.getModelPackageGroup(name);
  }

  listModelPackageGroups(): Promise<ModelPackageGroupRecord[]> {
    return this.store.listModelPackageGroups();
  }

  getModelPackage(ref: string): Promise<ModelPackageRecord | undefined> {
    return this.store.getModelPackage(ref);
  }

  listModelPackages(query: { groupName: string; status?: ModelApprovalStatus }): Promise<ModelPackageRecord[]> {
    return this.store.listModelPackages(query);
  }

  listApprovalChanges(ref: string): Promise<ApprovalChange[]> {
    return this.store.listApprovalChanges(ref);
  }

  /** Registers the next version of a group (creating the group when missing) and records its event. */
  async createModelPackage(input: CreateModelPackageInput): Promise<ModelPackageRecord> {
    const record = await this.store.createModelPackage({ ...input, ...this.outbox(input.now) });
    this.deliverInBackground();
    return record;
  }

  /**
   * Changes the approval status if the move is legal (`APPROVAL_TRANSITION_INVALID` otherwise,
   * including a change to the current status), with audit entry and event in one transaction.
   * A mirrored version is changed in the remote registry first (nothing changes here if that fails).
   */
  async updateApprovalStatus(input: ApprovalUpdate): Promise<{ record: ModelPackageRecord; change: ApprovalChange }> {
    const current = await this.describe(input.ref);
    checkApprovalTransition(current.arn, input.expectedStatus ?? current.approvalStatus, input.status);
    const remoteArn = this.remote?.remoteArn(current);
    if (remoteArn !== undefined) await this.remote?.updateApprovalStatus(remoteArn, input.status, input.reason);
    return this.commitChange(current, input);
  }

  /**
   * The version behind `ref`, first brought in step with the remote registry when it mirrors one
   * (a remote decision is recorded here, with its audit entry and event).
   */
  async refresh(ref: string): Promise<ModelPackageRecord> {
    const current = await this.describe(ref);
    const remoteArn = this.remote?.remoteArn(current);
    if (remoteArn === undefined || !this.remote) return current;
    const remote = await this.remote.describeApproval(remoteArn);
    if (remote.status === current.approvalStatus) return current;
    const reason = remote.reason !== undefined ? { reason: remote.reason } : {};
    const update = { ref: current.arn, status: remote.status, by: remote.by ?? 'sagemaker', now: this.clock.now(), ...reason };
    return (await this.commitChange(current, update)).record;
  }

  private async commitChange(current: ModelPackageRecord, input: ApprovalUpdate): Promise<{ record: ModelPackageRecord; change: ApprovalChange }> {
    // Compare-and-set on the status checked above: a concurrent change makes this fail, not skip the check.
    const result = await this.store.updateApprovalStatus({
      ...input,
      ref: current.arn,
      expectedStatus: input.expectedStatus ?? current.approvalStatus,
      ...this.outbox(input.now),
    });
    this.deliverInBackground();
    return result;
  }

  /** Approves a version (`ref`: ARN or `group/version`). */
  approve(ref: string, by: string, reason?: string): Promise<{ record: ModelPackageRecord; change: ApprovalChange }> {
    return this.updateApprovalStatus({ ref, status: ModelApprovalStatus.Approved, by, now: this.clock.now(), ...(reason !== undefined ? { reason } : {}) });
  }

  /** Rejects a version (`ref`: ARN or `group/version`). */
  reject(ref: string, by: string, reason?: string): Promise<{ record: ModelPackageRecord; change: ApprovalChange }> {
    return this.updateApprovalStatus({ ref, status: ModelApprovalStatus.Rejected, by, now: this.clock.now(), ...(reason !== undefined ? { reason } : {}) });
  }

  /** The version behind `ref`; `MODEL_PACKAGE_NOT_FOUND` when there is none. */
  async describe(ref: string): Promise<ModelPackageRecord> {
    const record = await this.store.getModelPackage(ref);
    if (!record) throw modelPackageNotFound(ref);
    return record;
  }

  /** The newest version of `group` with `status` (what a deployment script deploys). */
  async latest(group: string, status: ModelApprovalStatus = ModelApprovalStatus.Approved): Promise<ModelPackageRecord | undefined> {
    const [newest] = await this.store.listModelPackages({ groupName: group, status });
    return newest;
  }

  /**
   * Polls until the version is `wanted` ('reached'), gets the other decision ('opposite'),
   * or `timeoutMs` passes ('timeout'). For CI jobs that gate on a human approval.
   */
  async waitForApproval(
    ref: string,
    wanted: 'Approved' | 'Rejected',
    options: { timeoutMs: number; pollIntervalMs?: number; signal?: AbortSignal },
  ): Promise<ApprovalWaitOutcome> {
    const deadline = this.clock.now() + options.timeoutMs;
    for (;;) {
      const record = await this.refresh(ref);
      if (record.approvalStatus === wanted) return { outcome: 'reached', record };
      if (record.approvalStatus !== ModelApprovalStatus.PendingManualApproval) return { outcome: 'opposite', record };
      const left = deadline - this.clock.now();
      if (left <= 0 || options.signal?.aborted) return { outcome: 'timeout', record };
      await sleep(Math.min(options.pollIntervalMs ?? 2_000, left), undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
    }
  }

  /** Waits for event deliveries started so far, retries included, up to `timeoutMs`; true when all settled. */
  async flush(timeoutMs = 60_000): Promise<boolean> {
    await Promise.all(this.inFlight);
    return this.dispatcher ? this.dispatcher.drain(timeoutMs) : true;
  }

  private outbox(now: number): { outbox: OutboxRequest } | Record<string, never> {
    if (!this.dispatcher) return {};
    const sinkIds = this.dispatcher.sinkIdsFor(MODEL_PACKAGE_STATE_CHANGE);
    if (sinkIds.length === 0) return {};
    return { outbox: { sinkIds, build: (record) => modelPackageStateChangeEvent(record, now) } };
  }

  private deliverInBackground(): void {
    if (!this.dispatcher) return;
    const run = this.dispatcher
      .deliverDue()
      .catch((err: unknown) => this.logger.error({ err }, 'event delivery round failed; deliveries stay in the outbox'))
      .finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }
}
