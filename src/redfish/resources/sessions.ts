// SessionService and its Sessions (DSP0266 "Session management"): login by an unauthenticated
// POST, the caller's sessions (for ConfigureManager also those of the users within the caller's
// chassis scope), logout by DELETE, and the SessionTimeout setting, held in the cluster so every
// replica applies it.
import { SessionLimitError, type CreatedSession } from '../../auth/sessions.ts';
import type { SessionRecord } from '../../backend/sessions.ts';
import {
  RedfishError,
  accessUnauthorized,
  generalError,
  insufficientPrivilege,
  propertyValueError,
  propertyValueTypeError,
  resourceNotFound,
  sessionLimitExceeded,
} from '../messages.ts';
import { link, toCollection, odataTypes, uris } from '../odata.ts';
import { authRealm, etagOf, requireIfMatch } from '../preamble.ts';
import { compileBodySchema, parseCreateBody, parsePatchBody } from '../request-body.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type HandlerReply,
  type PublicContext,
  type RedfishBody,
  type SessionDependencies,
} from '../handler.ts';
import { performWrite } from '../write.ts';

/** The audit trail's names of a login and a logout. */
const createSessionAction = 'CreateSession';
const deleteSessionAction = 'DeleteSession';

/** DSP0266: SessionTimeout lies between 30 s and 24 h. */
export const sessionTimeoutRange = { minimum: 30, maximum: 86_400 } as const;

export const toSessionService = (timeoutSeconds: number): RedfishBody => ({
  '@odata.id': uris.sessionService,
  '@odata.type': odataTypes.SessionService,
  Id: 'SessionService',
  Name: 'Session Service',
  Description: 'Redfish login sessions, valid on every replica of this service',
  ServiceEnabled: true,
  SessionTimeout: timeoutSeconds,
  Status: { State: 'Enabled', Health: 'OK' },
  Sessions: link(uris.sessions),
});

export const toSession = (record: SessionRecord): RedfishBody => ({
  '@odata.id': uris.session(record.id),
  '@odata.type': odataTypes.Session,
  Id: record.id,
  Name: 'User Session',
  Description: `Session of ${record.user}`,
  UserName: record.user,
  CreatedTime: record.createdAt,
  SessionType: 'Redfish',
});

export const toSessionCollection = (records: readonly SessionRecord[]): RedfishBody =>
  toCollection(
    uris.sessions,
    odataTypes.SessionCollection,
    'Session Collection',
    records.map((r) => uris.session(r.id)),
  );

/** The routes carrying `requires: 'sessions'` are only served with these dependencies. */
const sessionDeps = (ctx: { deps: { sessions?: SessionDependencies } }): SessionDependencies => {
  const { sessions } = ctx.deps;
  if (sessions === undefined) throw new Error('session route served without session dependencies');
  return sessions;
};

/** Privilege registry (Session): one's own sessions need ConfigureSelf; anyone else's need
 *  ConfigureManager (managing the service) or ConfigureUsers (logging a user out), and that
 *  user must lie within the caller's chassis scope: an Administrator of one chassis manages
 *  the users of that chassis, not everyone (issue 11 item 9). */
const mayManage = (ctx: AuthenticatedContext, record: SessionRecord): boolean => {
  const { principal } = ctx;
  if (record.user === principal.user) return true;
  return (
    (principal.privileges.has('ConfigureManager') || principal.privileges.has('ConfigureUsers')) &&
    ctx.deps.scope.coversUser(principal, record.user)
  );
};

/** A session the caller may read; anyone else's is indistinguishable from a missing one. */
const visibleSession = (ctx: AuthenticatedContext): SessionRecord => {
  const id = pathParam(ctx, 'sessionId');
  const record = sessionDeps(ctx).manager.get(id);
  if (record === undefined || !mayManage(ctx, record))
    throw new RedfishError(resourceNotFound('Session', id));
  return record;
};

/** A session-store failure: the cluster is unreachable (503) or it is a bug (500). */
const storeFailure = {
  resource: { type: 'Session', id: '' },
  conflict: generalError(409),
  unsupported: generalError(500),
  invalid: generalError(500),
};

export const handleSessionServiceGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toSessionService(sessionDeps(ctx).timeout.current()),
});

interface SessionServicePatch {
  readonly SessionTimeout?: number;
}

// SessionTimeout is the one writable property; ServiceEnabled and the rest are shown, so they
// are PropertyNotWritable (request-body.ts).
const validateSessionServicePatch = compileBodySchema<SessionServicePatch>({
  type: 'object',
  properties: { SessionTimeout: { type: 'integer', nullable: true, ...sessionTimeoutRange } },
  additionalProperties: false,
});

/** Answers 204: the new value reaches this replica's cache, like every other, a moment later. */
export const handleSessionServicePatch = async (
  ctx: AuthenticatedContext,
): Promise<HandlerReply> => {
  const { timeout } = sessionDeps(ctx);
  // SessionTimeout applies to every chassis' users: only a caller scoped to all of them sets it.
  if (!ctx.deps.scope.coversAll(ctx.principal)) {
    ctx.log.warn({ user: ctx.principal.user }, 'SessionTimeout change refused: scope too narrow');
    throw new RedfishError(insufficientPrivilege());
  }
  const current = toSessionService(timeout.current());
  requireIfMatch(ctx.ifMatch, etagOf(current));
  // A non-empty body that validates names SessionTimeout (EmptyJSON and additionalProperties
  // rule out the rest), so a null is the only way to get here without one.
  const seconds = parsePatchBody(validateSessionServicePatch, ctx.body, current).SessionTimeout;
  if (seconds === undefined || seconds === null)
    throw new RedfishError(propertyValueTypeError('null', 'SessionTimeout'));
  await performWrite(
    ctx,
    { action: 'SetSessionTimeout', details: { sessionTimeout: seconds } },
    (options) => timeout.set(seconds, options),
    {
      ...storeFailure,
      resource: { type: 'SessionService', id: 'SessionService' },
      invalid: propertyValueError('SessionTimeout'),
    },
  );
  return { status: 204 };
};

export const handleSessionCollectionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toSessionCollection(
    sessionDeps(ctx)
      .manager.list()
      .filter((r) => mayManage(ctx, r)),
  ),
});

interface Login {
  readonly UserName: string;
  readonly Password: string;
}

const validateLogin = compileBodySchema<Login>({
  type: 'object',
  properties: { UserName: { type: 'string' }, Password: { type: 'string' } },
  required: ['UserName', 'Password'],
  additionalProperties: false,
});

/**
 * Login (DSP0266: POST to Sessions without credentials → 201 with X-Auth-Token, Location and the
 * Session). A wrong password answers exactly like a wrong user, under the same rate limit as
 * Basic authentication.
 */
export const handleSessionCreate = async (ctx: PublicContext): Promise<HandlerReply> => {
  const { manager, verifyPassword } = sessionDeps(ctx);
  const login = parseCreateBody(validateLogin, ctx.body, ['Password']);
  const check = await verifyPassword(login.UserName, login.Password, ctx.origin);
  if (!check.ok) throw new RedfishError(accessUnauthorized(authRealm, check.retryAfterSeconds));
  const user = check.principal.user;
  let created: CreatedSession;
  try {
    created = await performWrite(
      ctx,
      {
        user,
        action: createSessionAction,
        outcomeDetails: (session) => ({ sessionId: session.id }),
      },
      (options) => manager.create(user, options),
      storeFailure,
    );
  } catch (error) {
    // Recorded by the audit as a failed login write; the client gets the Base message.
    if (error instanceof SessionLimitError) throw new RedfishError(sessionLimitExceeded());
    throw error;
  }
  return {
    status: 201,
    body: toSession(created.record),
    headers: { 'X-Auth-Token': created.token, Location: uris.session(created.id) },
  };
};

export const handleSessionGet = (ctx: AuthenticatedContext): HandlerReply => ({
  status: 200,
  body: toSession(visibleSession(ctx)),
});

/** Logout. Ending the session in the cluster ends it on every replica. If-Match (DSP0266
 *  allows it on DELETE) is checked against the Session as the caller can GET it. */
export const handleSessionDelete = async (ctx: AuthenticatedContext): Promise<HandlerReply> => {
  const record = visibleSession(ctx);
  requireIfMatch(ctx.ifMatch, etagOf(toSession(record)));
  await performWrite(
    ctx,
    { action: deleteSessionAction, details: { sessionId: record.id, of: record.user } },
    (options) => sessionDeps(ctx).manager.delete(record.id, options),
    { ...storeFailure, resource: { type: 'Session', id: record.id } },
  );
  return { status: 204 };
};
