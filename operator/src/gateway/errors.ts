// The gateway's refusals: an HTTP status, a stable code a client can branch on, and a message
// that says what is wrong and what to do. Sent as `{"error":{"code","message"}}`.

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** The JSON body of a refusal. */
export interface GatewayErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(error: GatewayError): GatewayErrorBody {
  return { error: { code: error.code, message: error.message } };
}
