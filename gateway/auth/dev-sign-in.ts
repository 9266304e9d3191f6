import { demoMembers, demoPartners } from '../demo/seed';
import type { KeySet } from './keys';
import { TokenIssuer } from './tokens';

/** Someone the development sign-in page offers: a demo member or a finance user. */
export interface DevUser {
  kind: 'member' | 'finance';
  /** A member id, `operator` (the operator's finance team) or a partner id (its finance team). */
  id: string;
  name: string;
}

/** How long a development token lives; the apps ask for a new one before it ends. */
export const devTokenLifetimeSeconds = 3600;

/**
 * The development sign-in (`POST /auth/dev/token`): mints a token for a demo member or finance
 * user with the gateway's development key, so the web apps work on a fresh clone without an
 * identity provider. Never built in production (see devSignInFor), and only for the listed users.
 */
export class DevSignIn {
  readonly users: readonly DevUser[] = [
    ...demoMembers.map((member) => ({
      kind: 'member' as const,
      id: member.id,
      name: member.displayName,
    })),
    { kind: 'finance', id: 'operator', name: 'Coalition finance (operator)' },
    ...demoPartners.map((partner) => ({
      kind: 'finance' as const,
      id: partner.id,
      name: `${partner.name} finance`,
    })),
  ];

  constructor(private readonly issuer: TokenIssuer) {}

  /** A token for one of `users`; undefined for anyone else. */
  async issue(
    kind: unknown,
    id: unknown,
  ): Promise<{ token: string; expiresInSeconds: number } | undefined> {
    const user = this.users.find((candidate) => candidate.kind === kind && candidate.id === id);
    if (!user) return undefined;
    const token =
      user.kind === 'member'
        ? await this.issuer.issue({
            kind: 'member',
            subject: user.id,
            lifetimeSeconds: devTokenLifetimeSeconds,
          })
        : await this.issuer.issue({
            kind: 'finance',
            subject: user.id === 'operator' ? 'finance_operator' : `finance_${user.id}`,
            partnerId: user.id === 'operator' ? undefined : user.id,
            lifetimeSeconds: devTokenLifetimeSeconds,
          });
    return { token, expiresInSeconds: devTokenLifetimeSeconds };
  }
}

/** The development sign-in, or undefined in production or without a private key to sign with. */
export function devSignInFor(production: boolean, keySet: KeySet): DevSignIn | undefined {
  if (production || !keySet.privateJwk) return undefined;
  return new DevSignIn(new TokenIssuer(keySet.privateJwk));
}
