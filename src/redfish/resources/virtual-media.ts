// VirtualMedia: the one slot `Cd` of each system, under the system and under its Manager (older
// sushy and Ironic look only there; both show the same state), and its InsertMedia/EjectMedia
// actions (BEHAVIOUR.md "Virtual media"; clients-and-peers.md §4.4 (3)).
import type { VisibleSystem } from '../../auth/types.ts';
import type {
  BackendCapabilities,
  InsertMediaRequest,
  MediaState,
  VmSnapshot,
} from '../../backend/port.ts';
import { redactUrl } from '../../observability/logger.ts';
import type { Health, State } from '../enums.ts';
import {
  RedfishError,
  actionParameterMissing,
  actionParameterValueError,
  actionParameterValueNotInList,
  condition,
  generalError,
  resourceInUse,
  resourceNotFound,
  undeterminedFault,
} from '../messages.ts';
import {
  cdMediaId,
  odataTypes,
  redfishDateTime,
  toCollection,
  uris,
  type MediaHost,
} from '../odata.ts';
import { compileBodySchema, parseActionBody } from '../request-body.ts';
import {
  pathParam,
  type AuthenticatedContext,
  type AuthenticatedHandler,
  type HandlerReply,
  type RedfishBody,
} from '../handler.ts';
import type { RedfishMessage } from '../messages.ts';
import { etagOf, requireIfMatch } from '../preamble.ts';
import { visibleSystem } from '../visibility.ts';
import { performWrite } from '../write.ts';
import { acceptedTask, taskAccepted } from './tasks.ts';

const mediaTypes = ['CD', 'DVD'] as const;
export const insertAction = 'VirtualMedia.InsertMedia';
export const ejectAction = 'VirtualMedia.EjectMedia';

/** The images CDI can import (DataVolume http source). */
export const transferProtocols = ['HTTP', 'HTTPS'] as const;
/** CDI copies the whole image into a volume (Upload); Stream is accepted since the guest sees
 *  the same media either way. */
export const transferMethods = ['Stream', 'Upload'] as const;

const stateOf: Readonly<Record<MediaState, State>> = {
  Empty: 'Enabled',
  Importing: 'Starting',
  Ready: 'Enabled',
  // Present but unusable: the import failed.
  Failed: 'UnavailableOffline',
};

const status = (vm: VmSnapshot): RedfishBody => {
  const { media } = vm;
  const health: Health = media.state === 'Failed' ? 'Critical' : 'OK';
  return {
    State: stateOf[media.state],
    Health: health,
    ...(media.state === 'Failed'
      ? {
          Conditions: [
            condition(
              undeterminedFault(`image import: ${media.message ?? 'unknown error'}`),
              health,
            ),
          ],
        }
      : {}),
  };
};

/** `fullImage`: the caller may see the image URL's query string (a pre-signed URL's signature
 *  is a credential: Administrators only, issue 11 item 11). */
export const toVirtualMedia = (
  system: VisibleSystem,
  host: MediaHost,
  fullImage: boolean,
): RedfishBody => {
  const { media } = system.snapshot;
  const empty = media.state === 'Empty';
  return {
    '@odata.id': uris.virtualMedia(host, system.id),
    '@odata.type': odataTypes.VirtualMedia,
    Id: cdMediaId,
    Name: 'Virtual CD',
    Description: `Virtual CD-ROM of VirtualMachine ${system.ref.namespace}/${system.ref.name}`,
    MediaTypes: [...mediaTypes],
    // A BMC reports an empty drive with null image properties (sushy reads null as absent).
    Image: media.image === undefined ? null : fullImage ? media.image : redactUrl(media.image),
    ImageName: media.imageName ?? null,
    Inserted: media.inserted,
    WriteProtected: media.writeProtected,
    ConnectedVia: empty ? 'NotConnected' : 'URI',
    TransferProtocolType: media.transferProtocol ?? null,
    TransferMethod: empty ? null : 'Upload',
    // Write-only per the schema: always null in responses.
    UserName: null,
    Password: null,
    Status: status(system.snapshot),
    Actions: {
      '#VirtualMedia.InsertMedia': {
        target: uris.virtualMediaAction(host, system.id, insertAction),
        'TransferProtocolType@Redfish.AllowableValues': [...transferProtocols],
        'TransferMethod@Redfish.AllowableValues': [...transferMethods],
      },
      '#VirtualMedia.EjectMedia': {
        target: uris.virtualMediaAction(host, system.id, ejectAction),
      },
    },
  };
};

export const toVirtualMediaCollection = (system: VisibleSystem, host: MediaHost): RedfishBody =>
  toCollection(
    uris.virtualMediaCollection(host, system.id),
    odataTypes.VirtualMediaCollection,
    'Virtual Media Collection',
    [uris.virtualMedia(host, system.id)],
  );

interface InsertParameters {
  readonly Image: string;
  readonly Inserted?: boolean | null;
  readonly WriteProtected?: boolean | null;
  readonly TransferProtocolType?: string | null;
  readonly TransferMethod?: string | null;
  readonly UserName?: string | null;
  readonly Password?: string | null;
}

// Every VirtualMedia.v1_6_5 InsertMedia parameter; anything else is ActionParameterUnknown.
// null counts as absent, as sushy treats it.
const validateInsert = compileBodySchema<InsertParameters>({
  type: 'object',
  properties: {
    Image: { type: 'string' },
    Inserted: { type: 'boolean', nullable: true },
    WriteProtected: { type: 'boolean', nullable: true },
    TransferProtocolType: { type: 'string', nullable: true, enum: [...transferProtocols, null] },
    TransferMethod: { type: 'string', nullable: true, enum: [...transferMethods, null] },
    UserName: { type: 'string', nullable: true },
    Password: { type: 'string', nullable: true },
  },
  required: ['Image'],
  additionalProperties: false,
});

const validateEject = compileBodySchema<Record<string, never>>({
  type: 'object',
  properties: {},
  additionalProperties: false,
  required: [],
});

/** Turns InsertMedia parameters into the backend request, or the precise Base message. */
export const toInsertRequest = (params: InsertParameters): InsertMediaRequest => {
  const fail = (message: RedfishMessage): never => {
    throw new RedfishError(message);
  };
  // A CD-ROM cannot be "inserted but not mounted" nor written: other values are not offered.
  if (params.Inserted === false)
    fail(actionParameterValueNotInList('false', 'Inserted', insertAction));
  if (params.WriteProtected === false)
    fail(actionParameterValueNotInList('false', 'WriteProtected', insertAction));
  let url: URL;
  try {
    url = new URL(params.Image);
  } catch {
    return fail(actionParameterValueError('Image', insertAction));
  }
  const scheme = url.protocol.slice(0, -1).toUpperCase();
  if (scheme !== 'HTTP' && scheme !== 'HTTPS')
    return fail(actionParameterValueNotInList(redactUrl(url.href), 'Image', insertAction));
  if (params.TransferProtocolType != null && params.TransferProtocolType !== scheme)
    fail(actionParameterValueError('TransferProtocolType', insertAction));
  // Credentials in the URL's userinfo count as UserName/Password; explicit parameters win.
  // WHATWG URL keeps a malformed escape such as `%zz` as is, so decoding it can still fail.
  const decoded = (component: string): string => {
    try {
      return decodeURIComponent(component);
    } catch {
      return fail(actionParameterValueError('Image', insertAction));
    }
  };
  const username = params.UserName || decoded(url.username);
  const password = params.Password || decoded(url.password);
  if (username && !password) fail(actionParameterMissing(insertAction, 'Password'));
  if (password && !username) fail(actionParameterMissing(insertAction, 'UserName'));
  url.username = '';
  url.password = '';
  return {
    url: url.toString(),
    writeProtected: true,
    ...(username && password ? { credentials: { username, password } } : {}),
  };
};

/** The system a VirtualMedia URL addresses, and 404 for any slot but `Cd`. */
const mediaTarget = (ctx: AuthenticatedContext, host: MediaHost, withMedia: boolean) => {
  const id = pathParam(ctx, host === 'system' ? 'systemId' : 'managerId');
  const system = visibleSystem(ctx, id, host === 'system' ? 'ComputerSystem' : 'Manager');
  if (withMedia && pathParam(ctx, 'mediaId') !== cdMediaId)
    throw new RedfishError(resourceNotFound('VirtualMedia', pathParam(ctx, 'mediaId')));
  return system;
};

const noImporter =
  'Virtual media is not available on this cluster: CDI (containerized-data-importer), which imports the images, is not installed. Install CDI, then restart the service.';

const failureContext = (
  system: VisibleSystem,
  parameter: string,
  action: string,
  capabilities: BackendCapabilities,
) => ({
  resource: { type: 'VirtualMedia', id: cdMediaId },
  // Redfish: "Users are expected to eject media prior to inserting new media".
  conflict: resourceInUse(),
  unsupported: generalError(
    400,
    capabilities.virtualMedia === false
      ? noImporter
      : `${system.ref.name} cannot attach virtual media.`,
  ),
  invalid: actionParameterValueError(parameter, action),
});

export const handleVirtualMediaCollectionGet =
  (host: MediaHost): AuthenticatedHandler =>
  (ctx) => ({ status: 200, body: toVirtualMediaCollection(mediaTarget(ctx, host, false), host) });

export const handleVirtualMediaGet =
  (host: MediaHost): AuthenticatedHandler =>
  (ctx) => ({
    status: 200,
    body: toVirtualMedia(
      mediaTarget(ctx, host, true),
      host,
      ctx.principal.role === 'Administrator',
    ),
  });

export const handleInsertMedia =
  (host: MediaHost): AuthenticatedHandler =>
  async (ctx): Promise<HandlerReply> => {
    const system = mediaTarget(ctx, host, true);
    // The ETag the caller saw: GET shows the full image URL to Administrators only.
    requireIfMatch(
      ctx.ifMatch,
      etagOf(toVirtualMedia(system, host, ctx.principal.role === 'Administrator')),
    );
    const request = toInsertRequest(parseActionBody(validateInsert, ctx.body, insertAction));
    const outcome = await performWrite(
      ctx,
      {
        system,
        action: insertAction,
        details: { image: redactUrl(request.url) },
        version: system.snapshot.version,
      },
      (options) =>
        ctx.deps.backend.insertMedia(system.ref, request, { user: ctx.principal.user }, options),
      failureContext(system, 'Image', insertAction, ctx.deps.backend.capabilities),
    );
    if (outcome.kind === 'unchanged') return { status: 204 };
    const startTime = redfishDateTime(ctx.deps.clock.now());
    return taskAccepted(
      acceptedTask(system, outcome.taskId, outcome.appliesOnNextStart, startTime),
    );
  };

export const handleEjectMedia =
  (host: MediaHost): AuthenticatedHandler =>
  async (ctx): Promise<HandlerReply> => {
    const system = mediaTarget(ctx, host, true);
    // The ETag the caller saw: GET shows the full image URL to Administrators only.
    requireIfMatch(
      ctx.ifMatch,
      etagOf(toVirtualMedia(system, host, ctx.principal.role === 'Administrator')),
    );
    // sushy sends no body (and no Content-Type) and falls back to `{}`: both mean "eject".
    parseActionBody(validateEject, ctx.body, ejectAction);
    await performWrite(
      ctx,
      { system, action: ejectAction, version: system.snapshot.version },
      (options) => ctx.deps.backend.ejectMedia(system.ref, { user: ctx.principal.user }, options),
      failureContext(system, 'Image', ejectAction, ctx.deps.backend.capabilities),
    );
    return { status: 204 };
  };
