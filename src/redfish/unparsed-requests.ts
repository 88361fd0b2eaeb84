// Answers for requests Node's HTTP parser refuses before Fastify sees them (a method nobody
// recognises, a malformed request line or header, headers too large, a request too slow): they
// are still Redfish errors with OData-Version, as DSP0266 wants of every 4xx and 5xx.
import { RedfishError, errorBody, generalError, methodNotImplemented } from './messages.ts';
import { commonHeaders, jsonContentType } from './preamble.ts';

/** Why Node's HTTP parser refused a request before any handler saw it. */
export type UnparsedProblem = 'unknownMethod' | 'headersTooLarge' | 'timeout' | 'malformed';

/** The response to such a request (the listener closes the connection after it). */
export interface UnparsedAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const messageFor = (problem: UnparsedProblem) => {
  switch (problem) {
    case 'unknownMethod':
      return methodNotImplemented();
    case 'headersTooLarge':
      return generalError(431, 'Send fewer or shorter request headers.');
    case 'timeout':
      return generalError(408, 'Send the whole request without pausing.');
    case 'malformed':
      return generalError(400, 'Send a well-formed HTTP/1.1 request.');
  }
};

export const answerUnparsed = (problem: UnparsedProblem): UnparsedAnswer => {
  const error = new RedfishError(messageFor(problem));
  return {
    status: error.status,
    headers: { ...commonHeaders, 'Content-Type': jsonContentType },
    body: JSON.stringify(errorBody(error)),
  };
};
