import { KubeApiError } from './errors.js';

describe('KubeApiError', () => {
  it('tells an RBAC refusal to grant the verb', () => {
    const error = new KubeApiError('DELETE', '/api/v1/namespaces/x', 403, {
      reason: 'Forbidden',
      message: 'namespaces "x" is forbidden: User "op" cannot delete resource "namespaces"',
    });
    expect(error.action).toMatch(/ClusterRole/);
  });

  it("tells an admission policy's refusal that no verb would help", () => {
    const error = new KubeApiError('DELETE', '/api/v1/namespaces/kube-node-lease', 403, {
      reason: 'Forbidden',
      message:
        "namespaces \"kube-node-lease\" is forbidden: ValidatingAdmissionPolicy 'supercloud-provider-lease-namespaces' with binding 'supercloud-provider-lease-namespaces' denied request: not a lease namespace",
    });
    expect(error.action).toMatch(/admission policy/);
    expect(error.action).not.toMatch(/ClusterRole/);
  });
});
