// A configured password: plain text or a bcrypt hash, wrapped so that logging or serialising a
// Config can never print it (toJSON and util.inspect both answer "[REDACTED]").
import { inspect } from 'node:util';

export type PasswordKind = 'plain' | 'bcrypt';

export class PasswordSecret {
  readonly kind: PasswordKind;
  readonly #value: string;

  private constructor(kind: PasswordKind, value: string) {
    this.kind = kind;
    this.#value = value;
  }

  static plain(value: string): PasswordSecret {
    return new PasswordSecret('plain', value);
  }

  /** `$2y$` (PHP's name for the fixed algorithm) is stored as `$2b$`: the algorithms are the
   *  same, and the bcrypt package only knows the `$2a$`/`$2b$` prefixes. */
  static bcrypt(hash: string): PasswordSecret {
    return new PasswordSecret('bcrypt', hash.replace(/^\$2y\$/, '$2b$'));
  }

  /** The plain password or the hash; only the password verifier should call this. */
  reveal(): string {
    return this.#value;
  }

  equals(other: PasswordSecret): boolean {
    return this.kind === other.kind && this.#value === other.#value;
  }

  toJSON(): string {
    return '[REDACTED]';
  }

  toString(): string {
    return '[REDACTED]';
  }

  [inspect.custom](): string {
    return `PasswordSecret(${this.kind}, [REDACTED])`;
  }
}
