import { keccak256, toUtf8Bytes } from 'ethers';
import { canonicalJson, canonicalManifest, canonicalManifestHash } from './canonical.js';

const minimal = {
  services: [{ name: 'a', image: 'busybox:1.36', resources: { cpuMillis: 100, memoryMiB: 64 } }],
};

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: true, c: null }, 'x'] })).toBe(
      '{"a":[{"c":null,"d":true},"x"],"b":1}',
    );
  });

  it('leaves out undefined members and escapes strings as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 'é"\n' })).toBe('{"b":"é\\"\\n"}');
  });

  it('refuses what JSON cannot carry', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/function/);
  });
});

describe('canonicalManifest', () => {
  it('writes every default, so an omitted default and a written one hash the same', () => {
    const explicit = {
      version: 'v1',
      services: [
        {
          name: 'a',
          image: 'busybox:1.36',
          command: [],
          args: [],
          env: [],
          ports: [],
          replicas: 1,
          readOnlyRootFilesystem: true,
          runAsUser: 65532,
          resources: {
            gpus: 0,
            cpuMillis: 100,
            memoryMiB: 64,
            ephemeralStorageMiB: 1024,
            shmMiB: 64,
          },
        },
      ],
    };
    expect(canonicalManifest(minimal)).toBe(canonicalManifest(explicit));
    expect(canonicalManifestHash(minimal)).toBe(canonicalManifestHash(explicit));
  });

  it('does not depend on key order', () => {
    const reordered = {
      services: [
        { resources: { memoryMiB: 64, cpuMillis: 100 }, image: 'busybox:1.36', name: 'a' },
      ],
    };
    expect(canonicalManifest(reordered)).toBe(canonicalManifest(minimal));
  });

  it('changes with any value, including the order of services', () => {
    const two = {
      services: [...minimal.services, { ...minimal.services[0], name: 'b' }],
    };
    const swapped = { services: [...two.services].reverse() };
    expect(canonicalManifestHash(two)).not.toBe(canonicalManifestHash(swapped));
    const more = { services: [{ ...minimal.services[0], replicas: 2 }] };
    expect(canonicalManifestHash(more)).not.toBe(canonicalManifestHash(minimal));
  });

  it('is keccak256 of the canonical UTF-8 bytes (what the Marketplace stores)', () => {
    expect(canonicalManifestHash(minimal)).toBe(keccak256(toUtf8Bytes(canonicalManifest(minimal))));
  });

  it('pins the canonical form of a minimal manifest', () => {
    expect(canonicalManifest(minimal)).toBe(
      '{"services":[{"args":[],"command":[],"env":[],"image":"busybox:1.36","name":"a","ports":[],' +
        '"readOnlyRootFilesystem":true,"replicas":1,"resources":{"cpuMillis":100,' +
        '"ephemeralStorageMiB":1024,"gpus":0,"memoryMiB":64,"shmMiB":64},"runAsUser":65532}],' +
        '"version":"v1"}',
    );
  });
});
