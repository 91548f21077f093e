// The Provider's signer, from its spec: the private key in the wallet Secret, or a remote signer
// (URL, address, and its credentials from a Secret). Nothing here reaches the network, and no key,
// token or CA ever reaches a log, an Event, the status or an error message.
import { Wallet } from 'ethers';
import {
  providerReasons as reasons,
  type Provider,
  type RemoteSignerSpec,
} from '../../api/provider.js';
import { localSigner, type ProviderSigner } from '../../chain/provider-signer.js';
import { RemoteSigner } from '../../chain/remote-signer.js';
import type { ReconcileContext } from '../../kube/controller.js';
import { SecretKind } from '../../kube/objects.js';

/** A signer, or why there is none (the WalletReady condition's reason and message). */
export type LoadedSigner =
  { readonly signer: ProviderSigner } | { readonly reason: string; readonly problem: string };

/**
 * The signer the spec names: exactly one of `walletSecretRef` and `remoteSigner` (the CRD's rule
 * says so; an object written before the rule existed is reported, not guessed at).
 *
 * @example const loaded = await loadProviderSigner(provider, context);
 */
export async function loadProviderSigner(
  provider: Provider,
  context: Pick<ReconcileContext, 'client'>,
): Promise<LoadedSigner> {
  const { walletSecretRef, remoteSigner } = provider.spec;
  if (walletSecretRef && !remoteSigner) return loadWallet(walletSecretRef, context);
  if (remoteSigner && !walletSecretRef) {
    return loadRemoteSigner(remoteSigner, provider.spec.chain.chainId, context);
  }
  return {
    reason: reasons.SignerConfigInvalid,
    problem:
      'set exactly one of spec.walletSecretRef (the key in a Secret) and spec.remoteSigner (the key in a remote signer)',
  };
}

type WalletSecretRef = NonNullable<Provider['spec']['walletSecretRef']>;

/** Reads the private key from the Secret. */
async function loadWallet(
  ref: WalletSecretRef,
  context: Pick<ReconcileContext, 'client'>,
): Promise<LoadedSigner> {
  const secret = await context.client.get(SecretKind, ref.name, ref.namespace);
  if (!secret) {
    return {
      reason: reasons.SecretNotFound,
      problem: `Secret ${ref.namespace}/${ref.name} not found (or not readable): create it with the key ${ref.key}`,
    };
  }
  const encoded = secret.data?.[ref.key];
  if (!encoded) {
    return {
      reason: reasons.KeyMissing,
      problem: `Secret ${ref.namespace}/${ref.name} has no key ${ref.key}`,
    };
  }
  const hex = Buffer.from(encoded, 'base64').toString('utf8').trim();
  try {
    return { signer: localSigner(new Wallet(hex.startsWith('0x') ? hex : `0x${hex}`)) };
  } catch {
    return {
      reason: reasons.KeyInvalid,
      problem: `Secret ${ref.namespace}/${ref.name} key ${ref.key} is not a hex private key (32 bytes)`,
    };
  }
}

/** The remote signer's client, with its bearer token and CA from the credentials Secret if named. */
async function loadRemoteSigner(
  spec: RemoteSignerSpec,
  chainId: number,
  context: Pick<ReconcileContext, 'client'>,
): Promise<LoadedSigner> {
  const ref = spec.credentialsSecretRef;
  let token: string | undefined;
  let ca: string | undefined;
  if (ref) {
    const secret = await context.client.get(SecretKind, ref.name, ref.namespace);
    if (!secret) {
      return {
        reason: reasons.SecretNotFound,
        problem: `Secret ${ref.namespace}/${ref.name} (the remote signer's credentials) not found (or not readable)`,
      };
    }
    const value = (key: string): string | undefined => {
      const encoded = secret.data?.[key];
      const text = encoded && Buffer.from(encoded, 'base64').toString('utf8').trim();
      return text || undefined;
    };
    token = value(ref.tokenKey);
    ca = value(ref.caKey);
    if (!token && !ca) {
      return {
        reason: reasons.KeyMissing,
        problem: `Secret ${ref.namespace}/${ref.name} has neither key ${ref.tokenKey} (a bearer token) nor ${ref.caKey} (a CA bundle)`,
      };
    }
  }
  return {
    signer: new RemoteSigner({
      url: spec.url,
      address: spec.address,
      chainId,
      ...(token ? { token } : {}),
      ...(ca ? { ca } : {}),
      timeoutMs: spec.timeoutSeconds * 1000,
    }),
  };
}
