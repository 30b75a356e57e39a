// Which bench user signs in next. A TOTP step is accepted once per authenticator, so each user
// can sign in with the code of the current step and of the next one (the server accepts ±1 step),
// then must wait for the clock; many users keep the load from ever waiting on replay protection.

export interface BenchUser {
  username: string;
  totpSecret: string;
}

export interface UserPick {
  user: BenchUser;
  /** The TOTP step whose code this sign-in types. */
  step: number;
}

export class UserPicker {
  readonly #users: BenchUser[];
  readonly #periodMs: number;
  readonly #used: Set<number>[];
  #next = 0;
  /** Times no user had a fresh step left (the load then waited a step): should stay 0. */
  exhausted = 0;

  constructor(users: BenchUser[], periodSeconds: number) {
    this.#users = users;
    this.#periodMs = periodSeconds * 1000;
    this.#used = users.map(() => new Set<number>());
  }

  /** A user and a step not yet spent; undefined when every user has spent both usable steps. */
  pick(now = Date.now()): UserPick | undefined {
    const current = Math.floor(now / this.#periodMs);
    for (let tried = 0; tried < this.#users.length; tried++) {
      const i = this.#next;
      this.#next = (this.#next + 1) % this.#users.length;
      const used = this.#used[i]!;
      // Only the current and next step: a code for the previous step could expire before the server reads it.
      const step = [current, current + 1].find((s) => !used.has(s));
      if (step === undefined) continue;
      for (const old of used) if (old < current) used.delete(old);
      used.add(step);
      return { user: this.#users[i]!, step };
    }
    this.exhausted++;
    return undefined;
  }

  /** Milliseconds until the next TOTP step starts. */
  msToNextStep(now = Date.now()): number {
    return this.#periodMs - (now % this.#periodMs) + 5;
  }
}
