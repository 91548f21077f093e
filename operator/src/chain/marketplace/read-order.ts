import type { ContractRunner } from 'ethers';
import {
  orderStatusNames,
  type ContractReturnType,
  type OrderStatus,
  type marketplaceAbi,
} from '../abi/index.js';
import { readView } from './read-view.js';

/** The contract's `OrderView` as plain data, typed by the ABI. */
type OrderView = ContractReturnType<typeof marketplaceAbi, 'getOrder'>;

/**
 * An order as the marketplace holds it now: the contract's `OrderView` (integers as bigints,
 * `resources` an object, `bestBidder` the zero address when there is no live bid), its id, and
 * its status as an {@link OrderStatus}. An id never used reads as `orderStatus.None`, all zero.
 * The manifest bytes are only in the order's events.
 */
export type MarketplaceOrder = Readonly<Omit<OrderView, 'status'>> & {
  readonly orderId: bigint;
  readonly status: OrderStatus;
};

/** What an order asks for: the contract's `Resources` (bigints; GPU memory is per GPU). */
export type MarketplaceResources = OrderView['resources'];

export interface ReadOrderParameters {
  /** The Marketplace contract's address. */
  readonly marketplace: string;
  readonly orderId: bigint;
}

export type ReadOrderReturnType = MarketplaceOrder;

export interface ReadOrdersParameters {
  /** The Marketplace contract's address. */
  readonly marketplace: string;
  /** At most the contract's `MAX_BATCH_READ` ids (500); more revert. */
  readonly orderIds: readonly bigint[];
}

export type ReadOrdersReturnType = MarketplaceOrder[];

/**
 * Reads an order (`getOrder`): the one reader of an order, for the operator (over its RPC pool)
 * and the tenant CLI alike.
 *
 * @example
 * const order = await rpc.call('Marketplace.getOrder', (p) => readOrder(p, { marketplace, orderId }));
 * if (order.status === orderStatus.Open) ...
 */
export async function readOrder(
  runner: ContractRunner,
  { marketplace, orderId }: ReadOrderParameters,
): Promise<ReadOrderReturnType> {
  const view = await readView(runner, { marketplace, method: 'getOrder', args: [orderId] });
  return marketplaceOrder(orderId, view);
}

/**
 * Reads many orders in one call (`getOrders`), in the order of `orderIds`, each as
 * {@link readOrder} reads it.
 *
 * @example
 * const orders = await readOrders(provider, { marketplace, orderIds: [7n, 8n] });
 */
export async function readOrders(
  runner: ContractRunner,
  { marketplace, orderIds }: ReadOrdersParameters,
): Promise<ReadOrdersReturnType> {
  const views = await readView(runner, { marketplace, method: 'getOrders', args: [orderIds] });
  return views.map((view, i) => marketplaceOrder(orderIds[i]!, view));
}

function marketplaceOrder(orderId: bigint, view: OrderView): MarketplaceOrder {
  return { ...view, orderId, status: orderStatusOf(view.status) };
}

function orderStatusOf(value: bigint): OrderStatus {
  const status = Number(value);
  if (orderStatusNames[status] === undefined) {
    throw new RangeError(
      `getOrder returned the status ${value}, which the generated OrderStatus lacks (make generate)`,
    );
  }
  return status as OrderStatus;
}
