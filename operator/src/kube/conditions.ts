/** metav1.ConditionStatus. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition, as stored in `status.conditions` (wire JSON). */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  /** RFC 3339, seconds precision: when `status` last changed. */
  lastTransitionTime: string;
  /** CamelCase machine-readable reason. */
  reason: string;
  message: string;
}

/** What a reconcile decides about one condition; times are filled in by `setCondition`. */
export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message?: string;
  /** The metadata.generation the decision was made for. */
  readonly observedGeneration?: number;
}

/** The API server's rule for metav1.Condition reasons. */
const reasonPattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** metav1.Time: RFC 3339 in UTC, whole seconds. */
export function metaTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Sets a condition with metav1 semantics (as apimachinery's `meta.SetStatusCondition`):
 * `lastTransitionTime` changes only when the status changes; reason, message and
 * observedGeneration always take the new values. Returns a new array; the input is unchanged.
 *
 * @example status.conditions = setCondition(status.conditions, { type: 'Ready', status: 'True', reason: 'Deployed', observedGeneration: lease.metadata.generation })
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date = new Date(),
): Condition[] {
  if (!reasonPattern.test(update.reason)) {
    throw new Error(
      `condition reason "${update.reason}" is invalid: use CamelCase letters, digits, _ , or : (e.g. "ManifestRejected")`,
    );
  }
  const list = conditions ? [...conditions] : [];
  const index = list.findIndex((condition) => condition.type === update.type);
  const previous = index === -1 ? undefined : list[index];
  const next: Condition = {
    type: update.type,
    status: update.status,
    ...(update.observedGeneration === undefined
      ? {}
      : { observedGeneration: update.observedGeneration }),
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : metaTime(now),
    reason: update.reason,
    message: (update.message ?? '').slice(0, 32_768),
  };
  if (index === -1) list.push(next);
  else list[index] = next;
  return list;
}

/** The condition of a type, if present. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

/** True when the condition is present with status True. */
export function isConditionTrue(
  conditions: readonly Condition[] | undefined,
  type: string,
): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/** The list without the condition of that type. */
export function removeCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition[] {
  return (conditions ?? []).filter((condition) => condition.type !== type);
}

/** True when both lists hold the same conditions (order ignored): skip a status write then. */
export function sameConditions(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((condition) => {
    const other = findCondition(right, condition.type);
    return (
      other !== undefined &&
      other.status === condition.status &&
      other.reason === condition.reason &&
      other.message === condition.message &&
      other.observedGeneration === condition.observedGeneration &&
      other.lastTransitionTime === condition.lastTransitionTime
    );
  });
}
