// The runtime's errors: what the API server answered and what to do about it.
import { ActionableError } from '../base/errors.js';

/** The base of every error the runtime throws. */
export class KubeRuntimeError extends ActionableError {
  override readonly name: string = 'KubeRuntimeError';
}

/** A metav1.Status the API server sent with an error response. */
export interface ApiStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: unknown;
}

/**
 * The API server answered with an error status. `code` is the HTTP status (as the errors of
 * @kubernetes/client-node), `reason` the Status reason (`NotFound`, `Conflict`, `Expired`, ...).
 */
export class KubeApiError extends KubeRuntimeError {
  override readonly name = 'KubeApiError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly code: number,
    readonly status: ApiStatus | undefined,
  ) {
    super(`${method} ${path}: ${code} ${status?.reason ?? ''}`.trim(), {
      details: status?.message,
      action: actionFor(code, status?.message),
    });
  }

  get reason(): string | undefined {
    return this.status?.reason;
  }
}

function actionFor(code: number, message = ''): string | undefined {
  switch (code) {
    case 401:
      return 'check the kubeconfig credentials or the service-account token';
    case 403:
      // RBAC allowed it; an admission policy (the chart's confines the operator to lease
      // namespaces) refused it: granting a verb would not help.
      return message.includes('ValidatingAdmissionPolicy')
        ? 'an admission policy refused the request (the chart confines the operator to lease namespaces labelled supercloud.dev/lease): see the message for which, and report it if the operator sent it'
        : "grant the operator's service account this verb on this resource in its ClusterRole";
    case 409:
      return 'the object changed meanwhile: read it again and retry (a reconcile retries by itself)';
    case 422:
      return 'the object is invalid for the API server: see the message for the field';
    default:
      return undefined;
  }
}

/** The request never got an answer (connection refused or reset, timeout, TLS failure). */
export class KubeConnectionError extends KubeRuntimeError {
  override readonly name = 'KubeConnectionError';

  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(`${method} ${path}: no answer from the API server`, {
      details: cause instanceof Error ? cause.message : String(cause),
      action: 'check that the API server is up and reachable; the runtime retries with backoff',
      cause,
    });
  }
}

/**
 * Thrown from a reconcile to stop retrying a key: the object cannot converge until it changes
 * (controller-runtime's `reconcile.TerminalError`). The error is logged and counted, not retried.
 */
export class TerminalError extends KubeRuntimeError {
  override readonly name = 'TerminalError';
}

function codeOf(error: unknown): number | undefined {
  return error instanceof KubeApiError
    ? error.code
    : (error as { code?: unknown })?.code === undefined
      ? undefined
      : Number((error as { code?: unknown }).code);
}

/** 404: the object does not exist. */
export const isNotFound = (error: unknown): boolean => codeOf(error) === 404;
/** 409: a conflict (stale resourceVersion, or the object already exists). */
export const isConflict = (error: unknown): boolean => codeOf(error) === 409;
/** 410 Gone: a watch or list asked for a resourceVersion etcd has compacted away. */
export const isGone = (error: unknown): boolean => codeOf(error) === 410;
