import type { Role } from '../db/types.ts';

/** Who a verified token says the caller is. */
export interface Principal {
  kind: 'user' | 'serviceAccount';
  /** The user, or the administrator who created the service account. */
  userId: string;
  /** Set for service-account tokens. */
  serviceAccountId: number | null;
  userName: string;
  roles: ReadonlySet<Role>;
  /** The token's `jti`. */
  tokenId: string;
  expiresAt: Date;
}
