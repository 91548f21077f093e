// Provider: this cluster's identity on chain and the operator's policies. One per cluster.
import { Type, type Static } from '@sinclair/typebox';
import type { ObjectMeta } from '../kube/objects.js';
import { Address, Conditions, StringEnum, StringMap, Uint256String } from './schema.js';

export const providerNames = {
  kind: 'Provider',
  listKind: 'ProviderList',
  plural: 'providers',
  singular: 'provider',
  shortNames: ['scp', 'scprovider'],
} as const;

/** Condition types of a Provider. */
export const providerConditionTypes = {
  /** The provider address is registered in the ProviderRegistry with the gateway URL and attributes of the spec. */
  Registered: 'Registered',
  /** The chain follower is within `confirmations` blocks of the head. */
  Synced: 'Synced',
  /** The wallet can sign: its Secret is readable and holds a key, or the remote signer answers for its address. */
  WalletReady: 'WalletReady',
  /** The last round of chain reads reached an RPC endpoint. */
  ChainConnected: 'ChainConnected',
  /** Wallet, chain and registration are in order: the provider bids and serves. */
  Ready: 'Ready',
} as const;

/** Reasons of Provider conditions and Events. */
export const providerReasons = {
  SecretNotFound: 'SecretNotFound',
  KeyMissing: 'KeyMissing',
  KeyInvalid: 'KeyInvalid',
  KeyLoaded: 'KeyLoaded',
  /** The remote signer answers and holds the provider address. */
  SignerReady: 'SignerReady',
  /** The remote signer did not answer (down, unreachable, TLS refused). */
  SignerUnreachable: 'SignerUnreachable',
  /** The remote signer answered with an error (unauthorized, no such key). */
  SignerRefused: 'SignerRefused',
  /** The remote signer does not list the provider address in eth_accounts. */
  SignerAccountMissing: 'SignerAccountMissing',
  /** The remote signer returned a transaction other than the one asked (another key, other fields): not sent. */
  SignatureMismatch: 'SignatureMismatch',
  /** Neither or both of walletSecretRef and remoteSigner are set. */
  SignerConfigInvalid: 'SignerConfigInvalid',
  RpcReachable: 'RpcReachable',
  RpcUnreachable: 'RpcUnreachable',
  RegisteredOnChain: 'RegisteredOnChain',
  RegistrationUpdated: 'RegistrationUpdated',
  NotRegistered: 'NotRegistered',
  RegistrationFailed: 'RegistrationFailed',
  OutOfGas: 'OutOfGas',
  CaughtUp: 'CaughtUp',
  Behind: 'Behind',
  AllReady: 'AllReady',
  NotReady: 'NotReady',
} as const;

/**
 * Destinations a workload may never reach: private (RFC 1918), carrier-grade NAT, loopback
 * and link-local ranges (cloud metadata at 169.254.169.254 included), for IPv4 and IPv6.
 */
export const defaultDeniedEgressCidrs = [
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
] as const;

/** Namespace of the provider's ingress (gateway, ingress controller) by default. */
export const defaultIngressNamespace = 'supercloud-system';

export const TenantIsolation = Type.Object(
  {
    ingressNamespace: Type.String({
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 63,
      default: defaultIngressNamespace,
      description:
        'Namespace whose pods (ingress controller, gateway) may reach the exposed ports of every lease.',
    }),
    deniedEgressCidrs: Type.Array(Type.String({ maxLength: 64, description: 'A CIDR.' }), {
      maxItems: 64,
      default: [...defaultDeniedEgressCidrs],
      description:
        'Address ranges workloads may not reach: cluster pod and service ranges, node networks, link-local metadata. Everything else on the internet is allowed.',
    }),
    dnsNamespace: Type.String({
      maxLength: 63,
      default: 'kube-system',
      description: 'Namespace of the cluster DNS pods, which workloads may query.',
    }),
    dnsPodLabels: StringMap('Labels of the cluster DNS pods.', {
      maxProperties: 8,
      default: { 'k8s-app': 'kube-dns' },
    }),
    allowedRegistries: Type.Array(
      Type.String({
        pattern:
          '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$',
        maxLength: 255,
        description:
          'A registry host[:port], optionally with a repository path prefix (docker.io/library, nvcr.io/nvidia).',
      }),
      {
        maxItems: 64,
        default: [],
        description:
          "Registries workload images may come from. Empty: any registry on the public internet, never an IP address, a single-label or cluster-internal name (.svc, .local, .internal, ...), which the node's runtime would reach with its own network and credentials. Not empty: only these (an internal mirror listed here is allowed). Unqualified images are docker.io.",
      },
    ),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'How lease namespaces are walled off (the rest is not configurable).',
  },
);
export type TenantIsolation = Static<typeof TenantIsolation>;

export const GatewayPolicy = Type.Object(
  {
    shell: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            "Let a lease's tenant open a shell in its replicas through the gateway (`supercloud shell`, kubectl exec semantics). Off by default: a shell runs any program of the image, as the workload, for as long as the lease is open; turning it off ends the shells open now.",
        }),
      },
      { additionalProperties: false, default: {}, description: 'Tenant shells in replicas.' },
    ),
  },
  {
    additionalProperties: false,
    default: {},
    description:
      'What the provider gateway offers tenants beyond status, Events, logs and secrets (always served).',
  },
);
export type GatewayPolicy = Static<typeof GatewayPolicy>;

export const RemoteSignerSpec = Type.Object(
  {
    url: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description:
        'JSON-RPC endpoint of the signer (Consensys Web3Signer, Clef behind geth, a KMS bridge) answering eth_accounts and eth_signTransaction.',
    }),
    address: Address(
      'Address of the provider wallet: the account the signer signs with (checked against eth_accounts and every signature).',
    ),
    credentialsSecretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({ maxLength: 253, description: 'Name of the Secret.' }),
          namespace: Type.String({ maxLength: 63, description: 'Namespace of the Secret.' }),
          tokenKey: Type.String({
            maxLength: 253,
            default: 'token',
            description:
              'Key holding a bearer token sent as `Authorization: Bearer` (no token when the Secret lacks the key).',
          }),
          caKey: Type.String({
            maxLength: 253,
            default: 'ca.crt',
            description:
              "Key holding a PEM CA bundle the signer's TLS certificate must chain to, instead of the system CAs (none when the Secret lacks the key).",
          }),
        },
        {
          additionalProperties: false,
          description:
            "Secret with the signer's credentials: a bearer token and/or a TLS CA bundle (at least one of the keys).",
        },
      ),
    ),
    timeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 300,
      default: 10,
      description:
        'A request to the signer without an answer after this long fails (and is retried).',
    }),
  },
  {
    additionalProperties: false,
    description:
      'A remote signer holding the provider key, instead of walletSecretRef: the key never enters the cluster. Every signed transaction is checked (signer address, fields) before it is sent.',
  },
);
export type RemoteSignerSpec = Static<typeof RemoteSignerSpec>;

export const ProviderSpec = Type.Object(
  {
    chain: Type.Object(
      {
        chainId: Type.Integer({ minimum: 1, format: 'int64', description: 'EVM chain id.' }),
        rpcUrls: Type.Array(
          Type.String({
            pattern: '^(https?|wss?)://',
            maxLength: 2048,
            description: 'An RPC URL.',
          }),
          {
            minItems: 1,
            maxItems: 8,
            description: 'JSON-RPC endpoints, tried in order.',
          },
        ),
        marketplace: Address('Address of the Marketplace contract.'),
        registry: Address('Address of the ProviderRegistry contract.'),
        token: Type.Optional(
          Address('Address of the payment token (read from the Marketplace when unset).'),
        ),
        confirmations: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: 2,
          description: 'Blocks behind the head the follower stays, to ride out reorgs.',
        }),
        startBlock: Type.Integer({
          minimum: 0,
          format: 'int64',
          default: 0,
          description: 'Block to start following from when there is no checkpoint.',
        }),
      },
      { additionalProperties: false, description: 'The chain and contracts of the market.' },
    ),
    walletSecretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({ maxLength: 253, description: 'Name of the Secret.' }),
          namespace: Type.String({ maxLength: 63, description: 'Namespace of the Secret.' }),
          key: Type.String({
            maxLength: 253,
            default: 'privateKey',
            description: 'Key in the Secret holding the hex private key.',
          }),
        },
        {
          additionalProperties: false,
          description:
            'Secret holding the private key of the provider wallet (or set remoteSigner instead).',
        },
      ),
    ),
    remoteSigner: Type.Optional(RemoteSignerSpec),
    gatewayUrl: Type.String({
      pattern: '^https?://',
      maxLength: 2048,
      description:
        'Public URL of the provider gateway (logs, secrets, status for tenants), published on chain.',
    }),
    attributes: StringMap(
      'Attributes published on chain and matched against orders, e.g. region: eu-west, tier: 3.',
      { maxProperties: 32, default: {} },
    ),
    bidding: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description: 'Bid on new orders; false keeps serving existing leases only.',
        }),
        maxOutstandingBids: Type.Integer({
          minimum: 0,
          maximum: 10_000,
          default: 100,
          description: 'Bids awaiting an auction result at any time, at most.',
        }),
        minPricePerSecond: Uint256String(
          'Never bid below this, in payment-token base units per second.',
          { default: '0' },
        ),
        strategy: StringEnum(['PoolPrice', 'MarginOverFloor'] as const, {
          default: 'PoolPrice',
          description:
            "How bids are priced: PoolPrice bids the pool's list price for the order's resources; MarginOverFloor bids the list price plus marginBps, as far as the tenant's max allows, never below the list price.",
        }),
        marginBps: Type.Integer({
          minimum: 0,
          maximum: 100_000,
          default: 0,
          description:
            'Margin over the list price of MarginOverFloor, in basis points (1500 = 15 %).',
        }),
      },
      { additionalProperties: false, default: {}, description: 'Bidding policy.' },
    ),
    settlement: Type.Object(
      {
        withdrawIntervalSeconds: Type.Integer({
          minimum: 10,
          maximum: 30 * 24 * 3600,
          default: 3600,
          description: 'How often accrued escrow is withdrawn.',
        }),
        batchSize: Type.Integer({
          minimum: 1,
          maximum: 500,
          default: 50,
          description: 'Leases per withdraw transaction.',
        }),
        closeExhaustedLeases: Type.Boolean({
          default: true,
          description: 'Close leases whose escrow is exhausted (and tear their workload down).',
        }),
        minWithdrawAmount: Uint256String(
          'Accrued amounts below this (payment-token base units) wait for a later withdrawal: set it above what the gas of a withdrawal is worth to you.',
          { default: '0' },
        ),
        fundingWarningSeconds: Type.Integer({
          minimum: 0,
          maximum: 30 * 24 * 3600,
          default: 3600,
          description:
            'Warn (an Event, the Funded condition reason EscrowLow) this long before a lease escrow runs out.',
        }),
      },
      { additionalProperties: false, default: {}, description: 'Settlement policy.' },
    ),
    tenantIsolation: TenantIsolation,
    gateway: GatewayPolicy,
  },
  {
    additionalProperties: false,
    description: 'Chain, wallet and policies of this provider.',
    'x-kubernetes-validations': [
      {
        rule: 'has(self.walletSecretRef) != has(self.remoteSigner)',
        message:
          'set exactly one of walletSecretRef (the key in a Secret) and remoteSigner (the key in a remote signer)',
      },
    ],
  },
);
export type ProviderSpec = Static<typeof ProviderSpec>;

export const ProviderStatus = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description: 'The .metadata.generation this status describes.',
      }),
    ),
    providerAddress: Type.Optional(Address('Address of the provider wallet.')),
    registered: Type.Optional(
      Type.Boolean({ description: 'Whether the address is registered in the ProviderRegistry.' }),
    ),
    chainHead: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description: 'The latest block number the RPC reported at the last check.',
      }),
    ),
    lastProcessedBlock: Type.Optional(
      Type.Integer({
        minimum: 0,
        format: 'int64',
        description: 'Last block whose events were processed (the follower checkpoint).',
      }),
    ),
    bidPools: Type.Optional(
      StringMap(
        'The pool each bid was placed for, by order id, from before the bid is sent until its lease has a ComputeLease or the auction is lost: a restart never guesses where a lease runs.',
        { maxProperties: 12_000 },
      ),
    ),
    lastProcessedBlockHash: Type.Optional(
      Type.String({
        maxLength: 66,
        description: 'Hash of that block, to notice a reorg on restart.',
      }),
    ),
    balances: Type.Optional(
      Type.Object(
        {
          native: Uint256String('Native balance of the wallet (gas), in wei.'),
          token: Uint256String('Payment-token balance of the wallet, in base units.'),
        },
        { additionalProperties: false, description: 'Wallet balances at the last check.' },
      ),
    ),
    conditions: Type.Optional(
      Conditions('WalletReady, ChainConnected, Registered, Synced and Ready.'),
    ),
  },
  { additionalProperties: false, description: 'The provider on chain as last observed.' },
);
export type ProviderStatus = Static<typeof ProviderStatus>;

/** A Provider object as the API returns it (wire JSON). */
export interface Provider {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ProviderSpec;
  status?: ProviderStatus;
}
