import { imageRegistry, imageRegistryRefusal } from './image-registry.js';

describe('imageRegistry', () => {
  it.each([
    ['busybox', 'docker.io', 'library/busybox'],
    ['busybox:1.36', 'docker.io', 'library/busybox'],
    ['vllm/vllm-openai:v0.6.3', 'docker.io', 'vllm/vllm-openai'],
    ['index.docker.io/library/redis:7', 'docker.io', 'library/redis'],
    ['ghcr.io/org/app@sha256:' + 'a'.repeat(64), 'ghcr.io', 'org/app'],
    ['Registry.Example.com:5000/team/app:1', 'registry.example.com:5000', 'team/app'],
    ['localhost/app', 'localhost', 'app'],
    ['registry:5000/app', 'registry:5000', 'app'],
  ])('%s is %s / %s', (reference, registry, repository) => {
    expect(imageRegistry(reference)).toMatchObject({ registry, repository });
  });
});

describe('imageRegistryRefusal without an allow-list', () => {
  it.each([
    'busybox:1.36',
    'vllm/vllm-openai:v0.6.3',
    'nvcr.io/nvidia/pytorch:24.05-py3',
    'registry.example.com:5000/team/app:1',
    'ghcr.io/org/app@sha256:' + 'b'.repeat(64),
  ])('pulls %s from the public internet', (reference) => {
    expect(imageRegistryRefusal(reference, [])).toBeUndefined();
  });

  it.each([
    ['localhost:5000/app', /internal name/],
    ['foo.localhost/app', /internal name/],
    ['127.0.0.1:5000/app', /IP address/],
    ['127.1/app', /IP address/],
    ['0x7f.1:5000/app', /IP address/],
    ['0177.0.0.1/app', /IP address/],
    ['2130706433:5000/app', /single-label|IP address/],
    ['169.254.169.254/latest', /IP address/],
    ['10.1.2.3:5000/app', /IP address/],
    ['192.168.0.10/app', /IP address/],
    ['registry:5000/app', /single-label/],
    ['registry.kube-system.svc/app', /\.svc/],
    ['registry.kube-system.svc.cluster.local:5000/app', /internal name/],
    ['metadata.google.internal/app', /\.internal/],
    ['printer.local/app', /\.local/],
    ['nas.home.arpa/app', /internal name/],
    ['127.0.0.1.nip.io/app', /address written in the name/],
    ['app.10.0.0.1.example.com/app', /address written in the name/],
    ['app-10-0-0-5.example.com/app', /address written in the name/],
    ['10-0-0-5.sslip.io/app', /address written in the name/],
    ['lvh.me/app', /address written in the name/],
  ])('refuses %s', (reference, reason) => {
    expect(imageRegistryRefusal(reference, [])).toMatch(reason);
  });
});

describe('imageRegistryRefusal with an allow-list', () => {
  const allowed = ['docker.io/library', 'nvcr.io/nvidia', 'mirror.dc1.internal:5000'];

  it('pulls only what the list names, by registry or repository prefix', () => {
    expect(imageRegistryRefusal('busybox:1.36', allowed)).toBeUndefined();
    expect(imageRegistryRefusal('nvcr.io/nvidia/pytorch:24.05-py3', allowed)).toBeUndefined();
    expect(imageRegistryRefusal('vllm/vllm-openai:latest', allowed)).toMatch(/not in the provider/);
    expect(imageRegistryRefusal('nvcr.io/nvidiaevil/app:1', allowed)).toMatch(/not in/);
    expect(imageRegistryRefusal('ghcr.io/org/app:1', allowed)).toMatch(/not in/);
  });

  it('pulls from an internal mirror the provider names, and from no other internal name', () => {
    expect(imageRegistryRefusal('mirror.dc1.internal:5000/team/app:1', allowed)).toBeUndefined();
    expect(imageRegistryRefusal('mirror.dc1.internal/team/app:1', allowed)).toMatch(/not in/);
    expect(imageRegistryRefusal('127.0.0.1:5000/app', allowed)).toMatch(/not in/);
  });
});
