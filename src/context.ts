import type { Auth } from './auth/runtime.ts';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import type { Role } from './generated/sqlite/enums.ts';
import type { Logger } from './logger.ts';

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

/** What every request carries through GraphQL resolvers and REST handlers. */
export interface RequestContext {
  request: Request;
  requestId: string;
  clientIp: string;
  log: Logger;
  /**
   * The database of this server instance. It rides in the context (rather
   * than a module-level client) because the server is built from its
   * dependencies: tests run several instances, on SQLite and PostgreSQL, in
   * one process. Resolvers reach it only through the Prisma plugin and the
   * service functions.
   */
  db: Db;
  /** Null for an anonymous request. */
  principal: Principal | null;
  config: Config;
  auth: Auth;
}

/** The context once `loggedIn` has been checked. */
export interface AuthenticatedContext extends RequestContext {
  principal: Principal;
}
