// Redfish errors from the Base registry: one helper per message the service emits, each knowing
// its HTTP status (as bmcweb's error_messages do), and the one renderer of error bodies.
import { odataTypes } from './odata.ts';
import {
  baseMessages,
  baseRegistry,
  type BaseMessageId,
} from './registry/base-messages.generated.ts';

type ArgType<T> = T extends 'number' ? number : string;
type MapArgs<T extends readonly unknown[]> = { -readonly [K in keyof T]: ArgType<T[K]> };
/** The argument tuple a message takes, typed from the registry's ParamTypes. */
type ArgsOf<Id extends BaseMessageId> = MapArgs<(typeof baseMessages)[Id]['paramTypes']>;

/** One registry message as this service answers it: the message, its arguments, the HTTP status
 *  it implies and any headers that status needs. */
export interface RedfishMessage {
  readonly key: BaseMessageId;
  readonly args: readonly (string | number)[];
  readonly status: number;
  /** JSON pointers (`#/Boot/BootSourceOverrideTarget`) to the properties concerned. */
  readonly relatedProperties: readonly string[];
  /** A service-defined resolution, where the registry asks for one (GeneralError). */
  readonly resolution?: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface Extras {
  readonly relatedProperties?: readonly string[];
  readonly resolution?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const message = <Id extends BaseMessageId>(
  status: number,
  key: Id,
  args: ArgsOf<Id>,
  extras: Extras = {},
): RedfishMessage => ({
  key,
  args: args as readonly (string | number)[],
  status,
  relatedProperties: extras.relatedProperties ?? [],
  headers: extras.headers ?? {},
  ...(extras.resolution === undefined ? {} : { resolution: extras.resolution }),
});

/** `Boot/BootSourceOverrideTarget` → `#/Boot/BootSourceOverrideTarget`. */
const pointer = (path: string): string => `#/${path}`;

/** What handlers throw; the app's single error handler renders it. */
export class RedfishError extends Error {
  override readonly name = 'RedfishError';
  readonly messages: readonly [RedfishMessage, ...RedfishMessage[]];
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(first: RedfishMessage, ...rest: RedfishMessage[]) {
    super(formatMessage(first));
    this.messages = [first, ...rest];
    this.status = first.status;
    this.headers = Object.assign({}, ...this.messages.map((m) => m.headers)) as Record<
      string,
      string
    >;
  }
}

export const isRedfishError = (error: unknown): error is RedfishError =>
  error instanceof RedfishError;

export const messageId = (key: BaseMessageId): string => `${baseRegistry.messageIdPrefix}.${key}`;

/** The registry text with %1..%n replaced by the arguments. */
export const formatMessage = (m: RedfishMessage): string =>
  baseMessages[m.key].message.replace(/%(\d+)/g, (whole, n: string) => {
    const arg = m.args[Number(n) - 1];
    return arg === undefined ? whole : String(arg);
  });

/** A Message object (Message.v1_3_0) as it appears in `@Message.ExtendedInfo`. */
export const extendedInfo = (m: RedfishMessage): Record<string, unknown> => {
  const definition = baseMessages[m.key];
  return {
    '@odata.type': odataTypes.Message,
    MessageId: messageId(m.key),
    Message: formatMessage(m),
    // Message.v1_3_0 types MessageArgs as strings; the formatted Message keeps numbers as typed.
    MessageArgs: m.args.map(String),
    // sushy still reads the deprecated Severity; both carry the registry's MessageSeverity.
    Severity: definition.severity,
    MessageSeverity: definition.severity,
    Resolution: m.resolution ?? definition.resolution,
    RelatedProperties: [...m.relatedProperties],
  };
};

/** The DSP0266 error body. With several messages, `code`/`message` are GeneralError's, as the
 *  specification suggests, and the details are in `@Message.ExtendedInfo`. */
export const errorBody = (error: RedfishError): Record<string, unknown> => {
  const [first, ...rest] = error.messages;
  const head = rest.length === 0 ? first : generalError(error.status);
  return {
    error: {
      code: messageId(head.key),
      message: formatMessage(head),
      '@Message.ExtendedInfo': error.messages.map(extendedInfo),
    },
  };
};

// --- Helpers, one per message the service emits --------------------------------------------

/** A service-defined failure; the registry asks for a Resolution saying what to do. */
export const generalError = (status: number, resolution?: string): RedfishMessage =>
  message(status, 'GeneralError', [], resolution === undefined ? {} : { resolution });

export const internalError = (): RedfishMessage => message(500, 'InternalError', []);

export const resourceNotFound = (type: string, id: string): RedfishMessage =>
  message(404, 'ResourceNotFound', [type, id]);

/** A URL that names no resource of this service. */
export const invalidUri = (uri: string): RedfishMessage => message(404, 'InvalidURI', [uri]);

export const operationNotAllowed = (allow: readonly string[]): RedfishMessage =>
  message(405, 'OperationNotAllowed', [], { headers: { Allow: allow.join(', ') } });

/** RFC 9110 §15.6.2: a request method the service does not recognise at all answers 501. */
export const methodNotImplemented = (): RedfishMessage => message(501, 'OperationNotAllowed', []);

/** With TLS on, a plain-HTTP request that carries or needs credentials (DSP0266: credentials
 *  only over HTTPS). */
export const tlsRequired = (): RedfishMessage =>
  generalError(
    403,
    'Resubmit the request over HTTPS: this service accepts credentials and authenticated ' +
      'requests only over TLS.',
  );

/** A request target that is not a well-formed URI (RFC 3986: a bad percent-encoding). */
export const malformedUri = (uri: string): RedfishMessage => message(400, 'InvalidURI', [uri]);

export const malformedJson = (): RedfishMessage => message(400, 'MalformedJSON', []);
export const emptyJson = (): RedfishMessage => message(400, 'EmptyJSON', []);
/** Valid JSON that is not the object the operation needs (an array, a string...). */
export const unrecognizedRequestBody = (): RedfishMessage =>
  message(400, 'UnrecognizedRequestBody', []);

export const payloadTooLarge = (): RedfishMessage => message(413, 'PayloadTooLarge', []);

/** Base has no UnsupportedMediaType; HeaderInvalid names the header (with its value, as the
 *  registry's argument description asks) and 415 says the rest. */
export const unsupportedMediaType = (contentType: string): RedfishMessage =>
  message(415, 'HeaderInvalid', [`Content-Type: ${contentType}`]);

/** A body sent without Content-Type: which media type it is cannot be known (415). */
export const contentTypeMissing = (): RedfishMessage =>
  message(415, 'HeaderMissing', ['Content-Type']);

export const propertyUnknown = (path: string): RedfishMessage =>
  message(400, 'PropertyUnknown', [path], { relatedProperties: [pointer(path)] });

export const propertyNotWritable = (path: string): RedfishMessage =>
  message(400, 'PropertyNotWritable', [path], { relatedProperties: [pointer(path)] });

export const propertyValueNotInList = (value: string, path: string): RedfishMessage =>
  message(400, 'PropertyValueNotInList', [value, path], { relatedProperties: [pointer(path)] });

export const propertyValueTypeError = (value: string, path: string): RedfishMessage =>
  message(400, 'PropertyValueTypeError', [value, path], { relatedProperties: [pointer(path)] });

/** A value the resource cannot take while another property has its current value (secure boot
 *  without UEFI). */
export const propertyValueConflict = (path: string, other: string): RedfishMessage =>
  message(400, 'PropertyValueConflict', [path, other], {
    relatedProperties: [pointer(path), pointer(other)],
  });

export const actionNotSupported = (action: string): RedfishMessage =>
  message(400, 'ActionNotSupported', [action]);

export const propertyValueError = (path: string): RedfishMessage =>
  message(400, 'PropertyValueError', [path], { relatedProperties: [pointer(path)] });

export const actionParameterMissing = (action: string, parameter: string): RedfishMessage =>
  message(400, 'ActionParameterMissing', [action, parameter], {
    relatedProperties: [pointer(parameter)],
  });

export const actionParameterUnknown = (action: string, parameter: string): RedfishMessage =>
  message(400, 'ActionParameterUnknown', [action, parameter], {
    relatedProperties: [pointer(parameter)],
  });

export const actionParameterValueNotInList = (
  value: string,
  parameter: string,
  action: string,
): RedfishMessage =>
  message(400, 'ActionParameterValueNotInList', [value, parameter, action], {
    relatedProperties: [pointer(parameter)],
  });

export const actionParameterValueTypeError = (
  value: string,
  parameter: string,
  action: string,
): RedfishMessage =>
  message(400, 'ActionParameterValueTypeError', [value, parameter, action], {
    relatedProperties: [pointer(parameter)],
  });

export const actionParameterValueError = (parameter: string, action: string): RedfishMessage =>
  message(400, 'ActionParameterValueError', [parameter, action], {
    relatedProperties: [pointer(parameter)],
  });

/** 409: Ironic retries a power-on that fails with this id (6 × 10 s), so it is the message for
 *  transient platform states that a retry resolves. */
export const actionParameterValueConflict = (parameter: string, value: string): RedfishMessage =>
  message(409, 'ActionParameterValueConflict', [parameter, value], {
    relatedProperties: [pointer(parameter)],
  });

export const resourceInUse = (): RedfishMessage => message(409, 'ResourceInUse', []);

/** Not an error: a change that reaches the component only after a reset (reported in Task
 *  Messages), hence status 200. */
export const resetRequired = (resetUri: string, resetType: string): RedfishMessage =>
  message(200, 'ResetRequired', [resetUri, resetType]);

export const preconditionFailed = (): RedfishMessage => message(412, 'PreconditionFailed', []);

export const accessUnauthorized = (realm: string, retryAfterSeconds?: number): RedfishMessage =>
  message(401, 'AccessUnauthorized', [], {
    headers: {
      'WWW-Authenticate': `Basic realm="${realm}"`,
      ...(retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }),
    },
  });

export const insufficientPrivilege = (): RedfishMessage =>
  message(403, 'InsufficientPrivilege', []);

export const serviceTemporarilyUnavailable = (retryAfterSeconds: number): RedfishMessage =>
  message(503, 'ServiceTemporarilyUnavailable', [String(retryAfterSeconds)], {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

export const propertyMissing = (path: string): RedfishMessage =>
  message(400, 'PropertyMissing', [path], { relatedProperties: [pointer(path)] });

export const propertyValueOutOfRange = (value: string, path: string): RedfishMessage =>
  message(400, 'PropertyValueOutOfRange', [value, path], { relatedProperties: [pointer(path)] });

/** DSP0266: a login beyond the service's session limit answers 503. */
export const sessionLimitExceeded = (): RedfishMessage => message(503, 'SessionLimitExceeded', []);

/** DSP0266: an OData-Version this service does not speak answers 412; Base has no message of
 *  its own for it, so HeaderInvalid names the header and its value. */
export const odataVersionUnsupported = (version: string): RedfishMessage =>
  message(412, 'HeaderInvalid', [`OData-Version: ${version}`]);

export const queryParameterValueTypeError = (value: string, parameter: string): RedfishMessage =>
  message(400, 'QueryParameterValueTypeError', [value, parameter]);

export const queryParameterOutOfRange = (
  value: string,
  parameter: string,
  range: string,
): RedfishMessage => message(400, 'QueryParameterOutOfRange', [value, parameter, range]);

/** DSP0266: `only` combined with other query parameters. */
export const queryCombinationInvalid = (): RedfishMessage =>
  message(400, 'QueryCombinationInvalid', []);

/** Query options on a write: they select representations, which only GET returns. */
export const queryNotSupportedOnOperation = (): RedfishMessage =>
  message(400, 'QueryNotSupportedOnOperation', []);

/** DSP0266: an unsupported `$` query option answers 501 naming the option. */
export const queryParameterUnsupported = (parameter: string): RedfishMessage =>
  message(501, 'QueryParameterUnsupported', [parameter]);

/** A fault the platform reported (Status.Conditions of a resource, not an HTTP answer). */
export const undeterminedFault = (reporter: string): RedfishMessage =>
  message(500, 'UndeterminedFault', [reporter]);

/** A Resource Condition (Status.Conditions entry) built from a registry message. */
export const condition = (m: RedfishMessage, severity: string): Record<string, unknown> => ({
  MessageId: messageId(m.key),
  Message: formatMessage(m),
  MessageArgs: m.args.map(String),
  Severity: severity,
});
