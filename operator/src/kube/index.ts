// The operator's controller runtime: what controller-runtime gives Go operators. A controller is
// a reconcile function plus a few lines of wiring:
//
//   const manager = createManager({ kubeConfig: loadKubeConfig(), leaderElection: { name, namespace } });
//   manager.add(controller({ name: 'computelease', for: ComputeLeaseKind, owns: [NamespaceKind], reconcile }));
//   manager.stopOnSignals();
//   await manager.start();
export { apply, applyStatus, mergeStatus, type ApplyOptions } from './apply.js';
export { KubeClient, fieldManager, type Impersonation, type KubeClientOptions } from './client.js';
export {
  findCondition,
  isConditionTrue,
  metaTime,
  removeCondition,
  sameConditions,
  setCondition,
  type Condition,
  type ConditionStatus,
  type ConditionUpdate,
} from './conditions.js';
export {
  controller,
  type ControllerSpec,
  type MapFunction,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
  type Reconciler,
  type Watch,
} from './controller.js';
export {
  KubeApiError,
  KubeConnectionError,
  KubeRuntimeError,
  TerminalError,
  isConflict,
  isGone,
  isNotFound,
} from './errors.js';
export { EventRecorder, reportingController, type EventRecord } from './events.js';
export { ChannelSource } from './channel-source.js';
export { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.js';
export { InformerCache } from './informer-cache.js';
export { loadKubeConfig, type KubeConfigSource } from './kubeconfig.js';
export {
  Manager,
  createManager,
  type LeaderElectionConfig,
  type ManagerOptions,
} from './manager.js';
export * from './objects.js';
export { untilAborted, type Runnable } from './runnable.js';
export { byLabel, byNamespace, byOwnerUid, type IndexFunction } from './store.js';
