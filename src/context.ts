import type { Principal } from './access/principal.ts';
import type { Auth } from './auth/runtime.ts';
import type { Config } from './config.ts';
import type { Db } from './db/client.ts';
import type { Deadline } from './http/deadline.ts';
import type { RequestLogger } from './logger.ts';

/** What every request carries through GraphQL resolvers and REST handlers. */
export interface RequestContext {
  request: Request;
  requestId: string;
  clientIp: string;
  /** Its lines carry the request's id. */
  log: RequestLogger;
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
  /** Set by a login in this request: the user who just signed in may see their own data in the answer. */
  signedInUserId?: string;
  config: Config;
  auth: Auth;
  /** The request's time limit (behind Node's server): its transactions commit before it or not at all. */
  deadline?: Deadline;
}

/** The context once a scope (`can`) has been checked. */
export interface AuthenticatedContext extends RequestContext {
  principal: Principal;
}

/** What a service function needs of the request it serves (a CLI makes one without HTTP). */
export type ServiceContext = Pick<
  RequestContext,
  'db' | 'principal' | 'clientIp' | 'requestId' | 'log' | 'auth' | 'config' | 'deadline'
> & { request?: Request };
