// Which broker is the controller: the one that won the store's 'controller' election. Every
// broker campaigns under its membership session lease, so the controller is always a live,
// registered broker and stops being controller the moment its session is lost; the next
// candidate in line takes over. The election key's createRevision is the controller epoch:
// it only grows, and controller writes carry the election key as a fence so that a deposed
// controller's late writes fail (NOT_CONTROLLER) instead of undoing its successor's.
import type { KafkaError } from '../protocol/errors.js';
import type { BrokerMembership } from './membership.js';
import {
  type Fence,
  type Leadership,
  type Lease,
  LeaseExpiredError,
  type MetadataStore,
  type StoreLogger,
  silentStoreLogger,
} from './metadata-store.js';

export const CONTROLLER_ELECTION = 'controller';

interface ControllerCandidate {
  brokerId: number;
  incarnationId: string;
}

export interface ControllerState {
  /** The controller as known here; undefined while unknown (answer -1 to clients). */
  controllerId: number | undefined;
  /** Epoch of that controller (election key createRevision); undefined while unknown. */
  controllerEpoch: number | undefined;
  isController: boolean;
}

export interface ControllerElectionOptions {
  store: MetadataStore;
  membership: BrokerMembership;
  /** Pause before campaigning again after a failure (store unreachable). Default 1000. */
  retryBackoffMs?: number;
  logger?: StoreLogger;
}

export class ControllerElection {
  private leadership: Leadership<ControllerCandidate> | undefined;
  private observed: { brokerId: number; epoch: number } | undefined;
  private readonly listeners = new Set<(state: ControllerState) => void>();
  private readonly abort = new AbortController();
  private readonly stopObserving: () => void;
  private readonly logger: StoreLogger;
  private lastReported = '';
  private running: Promise<void>;

  private constructor(private readonly options: ControllerElectionOptions) {
    this.logger = options.logger ?? silentStoreLogger;
    this.stopObserving = options.store.observeLeader<ControllerCandidate>(
      CONTROLLER_ELECTION,
      (leader) => {
        this.observed = leader && { brokerId: leader.value.brokerId, epoch: leader.epoch };
        this.report();
      },
    );
    this.running = this.campaignLoop();
  }

  /** Starts campaigning in the background; follow onChange() to learn the outcome. */
  static start(options: ControllerElectionOptions): ControllerElection {
    return new ControllerElection(options);
  }

  get brokerId(): number {
    return this.options.membership.brokerId;
  }

  get isController(): boolean {
    return this.leadership?.isLeader === true;
  }

  get controllerId(): number | undefined {
    return this.state().controllerId;
  }

  get controllerEpoch(): number | undefined {
    return this.state().controllerEpoch;
  }

  /** Pass with controller writes (WriteOptions.fence); undefined when not the controller. */
  get fence(): Fence | undefined {
    return this.isController ? this.leadership!.fence : undefined;
  }

  state(): ControllerState {
    if (this.isController) {
      return {
        controllerId: this.brokerId,
        controllerEpoch: this.leadership!.epoch,
        isController: true,
      };
    }
    // Our own stale win (lost here, not yet expired in the store) is not a controller anyone
    // should be sent to.
    const o = this.observed && this.observed.brokerId !== this.brokerId ? this.observed : undefined;
    return { controllerId: o?.brokerId, controllerEpoch: o?.epoch, isController: false };
  }

  /** Called after every change of controller or of this broker's role. */
  onChange(listener: (state: ControllerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resigns if controller (so a successor is elected at once) and stops campaigning. */
  async close(): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.abort.abort(new Error('controller election closed'));
    this.stopObserving();
    const leadership = this.leadership;
    this.leadership = undefined;
    this.listeners.clear();
    if (leadership?.isLeader) {
      await leadership.resign().catch((err: Error) => {
        this.logger.warn(`broker ${this.brokerId}: resigning as controller failed: ${err.message}`);
      });
    }
    await this.running;
  }

  private async campaignLoop(): Promise<void> {
    const { store, membership } = this.options;
    const signal = this.abort.signal;
    const candidate: ControllerCandidate = {
      brokerId: membership.brokerId,
      incarnationId: membership.registration.incarnationId,
    };
    while (!signal.aborted) {
      let lease: Lease | undefined;
      try {
        lease = await membership.whenRegistered(signal);
        const leadership = await store.campaign(CONTROLLER_ELECTION, candidate, lease, { signal });
        if (signal.aborted) {
          await leadership.resign().catch(() => {});
          return;
        }
        const lost = new Promise<KafkaError | undefined>((resolve) => {
          const onAbort = () => resolve(undefined);
          leadership.onLost((error) => {
            signal.removeEventListener('abort', onAbort);
            resolve(error);
          });
          signal.addEventListener('abort', onAbort, { once: true });
        });
        this.leadership = leadership;
        this.logger.info(
          `broker ${this.brokerId} is now the controller (epoch ${leadership.epoch})`,
        );
        this.report();
        const error = await lost;
        if (signal.aborted) return;
        this.leadership = undefined;
        this.logger.warn(
          `broker ${this.brokerId} is no longer the controller: ${error?.message ?? 'resigned'}`,
        );
        this.report();
      } catch (err) {
        if (signal.aborted) return;
        // A lost session is waited out by whenRegistered(); anything else (store down, or a
        // lease the store refuses though membership still holds it) after a pause.
        if (!(err instanceof LeaseExpiredError) || membership.lease === lease) {
          this.logger.warn(
            `broker ${this.brokerId}: campaigning for controller failed: ${(err as Error).message}`,
          );
          await sleep(this.options.retryBackoffMs ?? 1000, signal);
        }
      }
    }
  }

  private report(): void {
    const state = this.state();
    const fingerprint = JSON.stringify(state);
    if (fingerprint === this.lastReported) return;
    this.lastReported = fingerprint;
    for (const l of this.listeners) {
      try {
        l(state);
      } catch (err) {
        this.logger.warn(`controller listener failed: ${(err as Error).message}`);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
