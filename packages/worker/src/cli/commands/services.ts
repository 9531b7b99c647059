import type { Command } from 'commander';
import { pino } from 'pino';
import { ErrorCode, OrchestratorError, asSentence } from '@cairn/core';
import { DEFAULT_QUEUE_PREFIX } from '../../queues.js';
import { DEFAULT_SCHEDULER_LEADER_TTL_MS } from '../../scheduler-service.js';
import { DEFAULT_REDIS_URL, redisOptionsFromUrl } from '../../redis.js';
import { startSchedulerService, startWorkerService, type RunningService, type ServiceSettings } from '../../services.js';
import { closeInOrder, watchShutdown } from '../../shutdown.js';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { parsePositiveInt } from '../parsers.js';

/** Flags of `cairn scheduler|worker|serve`. */
interface ServiceOptions {
  queuePrefix: string;
  concurrency?: number;
  graceMs: number;
  pollIntervalMs?: number;
  reconcileIntervalMs?: number;
  maxDeliveries?: number;
  lockDurationMs?: number;
  leaderTtlMs?: number;
}

const ENVIRONMENT = 'REDIS_URL and DATABASE_URL are used when --redis / --database are not given; CAIRN_QUEUE_PREFIX sets the default queue prefix (`cairn run|retry|stop --redis` read it too).';

const KINDS = {
  scheduler: 'Run the scheduler: drives distributed executions (PostgreSQL), enqueues ready steps (Redis), applies results, reconciles the queues with the database.',
  worker: 'Run a step worker: takes steps from the queue and runs them with the executors of cairn.config.json.',
  serve: 'Run the scheduler and a worker in one process (one machine).',
} as const;

/** `cairn scheduler`, `cairn worker`, `cairn serve`: the long-running services of the distributed runtime. */
export function register(program: Command, env: CliEnv): void {
  for (const [kind, description] of Object.entries(KINDS) as [keyof typeof KINDS, string][]) {
    const runsSteps = kind !== 'scheduler';
    const schedules = kind !== 'worker';
    const command = program
      .command(kind)
      .description(description)
      // --redis, --database, --config and --log-level are the program's: show them here too.
      .configureHelp({ showGlobalOptions: true })
      .option('--queue-prefix <prefix>', 'BullMQ key prefix shared by the scheduler and its workers', process.env['CAIRN_QUEUE_PREFIX'] ?? DEFAULT_QUEUE_PREFIX)
      .option('--grace-ms <ms>', runsSteps ? 'on SIGTERM: how long in-flight steps may finish before they are handed back' : 'unused by the scheduler (it stops at once; its state is in PostgreSQL)', parsePositiveInt, 30_000);
    if (runsSteps) {
      command
        .option('--concurrency <n>', 'steps this worker runs at once', parsePositiveInt, 4)
        .option('--poll-interval-ms <ms>', 'longest wait between polls of a long-running backend job (default: 30000)', parsePositiveInt)
        .option('--lock-duration-ms <ms>', 'a step whose worker stops renewing its lock this long is given to another worker (default: 30000)', parsePositiveInt)
        .option('--max-deliveries <n>', 'deliveries of one attempt (workers dying under it) before it fails (default: 3)', parsePositiveInt);
    }
    if (schedules) {
      command
        .option('--reconcile-interval-ms <ms>', 'time between reconciler passes (default: 10000)', parsePositiveInt)
        .option('--leader-ttl-ms <ms>', 'leader lock lifetime: a standby scheduler takes over this long after the leader dies; the leader stops driving when it cannot renew the lock for most of it', parsePositiveInt, DEFAULT_SCHEDULER_LEADER_TTL_MS);
    }
    command.action(env.action((options: ServiceOptions) => serve(env, kind, options)));
    addHelpSections(command, {
      examples: [`cairn ${kind} --redis redis://10.0.0.5:6379 --database postgres://cairn@10.0.0.6:5432/cairn`, `REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://postgres@127.0.0.1:5432/cairn cairn ${kind} --log-level info`],
      exitCodes: {
        0: `stopped by SIGTERM or SIGINT after a graceful shutdown${schedules ? ' (also while a standby scheduler waits for the lead)' : ''}`,
        1: [
          ...(schedules ? ['the scheduler lost its leader lock (Redis unreachable longer than the lock lives, or another scheduler took over) or was fenced in PostgreSQL by a newer leader, and stopped: restart it'] : []),
          `a second SIGTERM or SIGINT: exited at once${runsSteps ? ' (running steps go to another worker once their lock expires)' : ''}`,
        ].join('; or '),
        2: 'bad configuration: unreachable Redis or PostgreSQL, or Redis maxmemory-policy is not noeviction',
      },
      notes: ENVIRONMENT,
    });
  }
}

async function serve(env: CliEnv, kind: 'scheduler' | 'worker' | 'serve', options: ServiceOptions): Promise<ExitCode> {
  const settings = await serviceSettings(env, options.queuePrefix);
  const logger = settings.logger.child({ service: kind });
  // Watch signals before anything starts: a SIGTERM while connecting or waiting as a standby counts.
  const shutdown = watchShutdown({ logger, graceMs: options.graceMs });
  const services: RunningService[] = [];
  // Workers first: their last results still reach a running scheduler. A worker that fails to close
  // must not leave the scheduler leading.
  const closeAll = (graceMs?: number) => closeInOrder([...services].reverse().map((service) => () => service.close(graceMs)), logger, 'cairn ' + kind);
  try {
    // A worker starts first, so a standby machine's worker runs steps while its scheduler waits for the lead.
    if (kind !== 'scheduler') {
      const tuning = Object.fromEntries(Object.entries({ concurrency: options.concurrency, pollIntervalMs: options.pollIntervalMs, lockDurationMs: options.lockDurationMs, maxDeliveries: options.maxDeliveries }).filter(([, v]) => v !== undefined));
      services.push(await startWorkerService({ ...settings, logger }, tuning));
    }
    if (kind !== 'worker' && !shutdown.signal.aborted) {
      const tuning = Object.fromEntries(Object.entries({ reconcileIntervalMs: options.reconcileIntervalMs, leaderTtlMs: options.leaderTtlMs }).filter(([, v]) => v !== undefined));
      const scheduler = await startSchedulerService({ ...settings, logger }, { ...tuning, signal: shutdown.signal });
      services.push(scheduler);
      void scheduler.lost.then((lost) => shutdown.trigger(`leader lock lost (${lost.reason})`));
    }
  } catch (err) {
    await closeAll(0).catch((closeErr: unknown) => logger.error({ err: closeErr }, 'could not close a service after a failed start'));
    shutdown.dispose();
    // Stopped by a signal while starting (e.g. a standby scheduler): a normal exit.
    if (shutdown.signal.aborted && 'signal' in (shutdown.cause ?? {})) return ExitCode.Ok;
    throw err;
  }
  const cause = await shutdown.until(closeAll);
  if ('reason' in cause) {
    throw new OrchestratorError(ErrorCode.ServiceFault, asSentence(`This scheduler stopped driving executions: ${cause.reason}`), {
      fix: 'run it under a supervisor that restarts it (systemd Restart=always, a Kubernetes Deployment); it comes back as a standby and takes over when it can.',
    });
  }
  return ExitCode.Ok;
}

/** Redis, PostgreSQL, configuration and a logger (info unless --log-level says otherwise) for a service. */
export async function serviceSettings(env: CliEnv, prefix: string): Promise<ServiceSettings> {
  const config = await env.config();
  const connection = redisOptionsFromUrl(env.globals().redis ?? process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL);
  // Services always log (the CLI's default level is silent): info unless --log-level names another level.
  const level = env.globals().logLevel === 'silent' ? 'info' : env.globals().logLevel;
  const logger = pino({ level, base: { cmd: 'cairn' } }, { write: (s: string) => env.io.stderr.write(s) });
  return { connection, prefix, store: await env.clusterStore(), config, logger };
}
