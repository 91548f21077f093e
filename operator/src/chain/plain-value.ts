import type { ParamType, Result } from 'ethers';

/**
 * A value ethers decoded for an ABI parameter, as the plain data abitype types it: tuples as
 * objects by component name, arrays as arrays (ethers' `Result.toObject(true)` turns arrays of
 * tuples into objects), everything else as decoded (integers as bigints).
 *
 * @example
 * const fragment = market.interface.getFunction('getOrder')!;
 * plainValue(await market.getOrder(1n), fragment.outputs[0]!) // { tenant, status, resources: { gpuModel, ... }, ... }
 */
export function plainValue(value: unknown, param: ParamType): unknown {
  if (param.isArray()) {
    return Array.from(value as Result, (item) => plainValue(item, param.arrayChildren));
  }
  if (param.isTuple()) {
    return Object.fromEntries(
      param.components.map((component, i) => [
        component.name,
        plainValue((value as Result)[i], component),
      ]),
    );
  }
  return value;
}
