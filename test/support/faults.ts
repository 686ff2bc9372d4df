/**
 * Faults injected into a use case's ports: a planned fault makes the next calls of one method fail,
 * either before the call (the dependency refused: nothing happened) or after it (the dependency did
 * it, but its answer was lost: a timeout). Every call is counted per `port.method`.
 */
export interface FaultOptions {
  /** Fail after the call took effect (a lost answer) instead of before it. */
  after?: boolean;
  /** The error thrown (default: a throttling error). */
  error?: () => Error;
}

interface Plan extends FaultOptions {
  remaining: number;
}

export const namedError = (name: string, message = `${name} (injected)`) => Object.assign(new Error(message), { name });

export class Faults {
  private readonly plans = new Map<string, Plan>();
  private readonly hooks = new Map<string, () => Promise<void>>();
  readonly calls = new Map<string, number>();

  /** The next `times` calls of `method` (`port.method`) fail; `Infinity` for always. */
  fail(method: string, times: number, options: FaultOptions = {}): this {
    this.plans.set(method, { remaining: times, ...options });
    return this;
  }

  /** Runs `hook` once, just before the next call of `method` (to interleave another step). */
  before(method: string, hook: () => Promise<void>): this {
    this.hooks.set(method, hook);
    return this;
  }

  reset(): void {
    this.plans.clear();
    this.hooks.clear();
    this.calls.clear();
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  /** The port with every method going through the planned faults. */
  wrap<T extends object>(port: string, target: T): T {
    return new Proxy(target, {
      get: (object, key, receiver) => {
        const value = Reflect.get(object, key, receiver);
        if (typeof value !== 'function') return value;
        const method = `${port}.${String(key)}`;
        return async (...args: unknown[]) => {
          this.calls.set(method, this.count(method) + 1);
          const hook = this.hooks.get(method);
          if (hook) {
            this.hooks.delete(method);
            await hook();
          }
          const plan = this.plans.get(method);
          const faulty = plan !== undefined && plan.remaining > 0;
          const error = () => {
            if (plan) plan.remaining--;
            return plan?.error?.() ?? namedError('ThrottlingException', `${method}: rate exceeded (injected)`);
          };
          if (faulty && !plan.after) throw error();
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
          if (faulty && plan.after) throw error();
          return result;
        };
      },
    });
  }
}
