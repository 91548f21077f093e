import { ValidationError } from '../../api/validate.js';
import {
  badLeaseCorpus,
  badManifestYamlCorpus,
  corpusPool,
  validLease,
  validManifest,
} from './corpus.js';
import { parseManifestYaml } from '../parse.js';
import { defaultWorkloadPolicy, verifyLease } from '../verify.js';

describe('the bad-input corpus', () => {
  it('has at least 40 bad leases with distinct names and lease ids', () => {
    expect(badLeaseCorpus.length).toBeGreaterThanOrEqual(40);
    expect(new Set(badLeaseCorpus.map((c) => c.lease.metadata.name)).size).toBe(
      badLeaseCorpus.length,
    );
    expect(new Set(badLeaseCorpus.map((c) => c.lease.spec.leaseId)).size).toBe(
      badLeaseCorpus.length,
    );
  });

  it('starts from a lease that passes, so each case fails for its own reason', () => {
    expect(verifyLease(validLease().spec, corpusPool, defaultWorkloadPolicy)).toMatchObject({
      verified: true,
    });
  });

  it.each(badLeaseCorpus.map((c) => [c.name, c] as const))(
    'rejects %s, naming the field',
    (_name, { lease, field }) => {
      const result = verifyLease(lease.spec, corpusPool, defaultWorkloadPolicy);
      expect(result.verified).toBe(false);
      if (result.verified) return;
      expect(result.issues.map((issue) => issue.path)).toContain(field);
      expect(result.reason).toContain(`${field}: `);
    },
  );

  it.each(badManifestYamlCorpus.map((c) => [c.name, c] as const))(
    'refuses the manifest file with %s',
    (_name, { yaml, field, mentions }) => {
      let error: unknown;
      try {
        parseManifestYaml(yaml);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ValidationError);
      const issues = (error as ValidationError).issues;
      expect(issues.map((issue) => issue.path)).toContain(field);
      if (mentions) expect((error as Error).message).toContain(mentions);
    },
  );

  it('refuses the alias bomb quickly, without expanding it', () => {
    const bomb = badManifestYamlCorpus.find((c) => c.name === 'a YAML alias bomb');
    const started = performance.now();
    expect(() => parseManifestYaml(bomb?.yaml ?? '')).toThrow(/aliases are not allowed/);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('explains why an isolation-breaking field is refused', () => {
    const privileged = badLeaseCorpus.find((c) => c.name === 'privileged');
    const result = verifyLease(privileged?.lease.spec, corpusPool, defaultWorkloadPolicy);
    expect(result).toMatchObject({
      verified: false,
      reason: expect.stringContaining('privileged containers are never allowed'),
    });
  });

  it('keeps the valid manifest valid (the corpus builds fresh copies)', () => {
    expect(validManifest()).toEqual(validManifest());
    expect(validManifest()).not.toBe(validManifest());
  });
});
