// Before every suite of the stack's projects: a control plane whose controller-manager, scheduler
// or kwok-controller exited (after an earlier suite's API server outage, as they do when they lose
// their leader lease) is made whole again, as a kubelet restarts static pods. Without it a later
// suite's leases wait forever for quota status or pods.
import { beforeAll } from '@jest/globals';
import { exitedComponents, startExitedComponents } from '../stack/kwok.js';
import { isApiServerReady } from '../stack/kube.js';
import { waitFor } from '../stack/process.js';
import { adminKubeConfig } from './stack.js';

/** Starts the components that exited, if any, and waits until the API server serves; returns them. */
export async function restoreControlPlane(): Promise<string[]> {
  const exited = exitedComponents();
  if (exited.length === 0) return [];
  console.log(`[stack] control-plane components not running: ${exited.join(', ')}; starting them`);
  await startExitedComponents();
  await waitFor('the API server ready', () => isApiServerReady(adminKubeConfig()), 180_000, 250);
  return exited;
}

beforeAll(restoreControlPlane, 300_000);
