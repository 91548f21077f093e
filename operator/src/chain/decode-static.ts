// A decoder of ABI-encoded results made of static types (address, bool, uintN, intN, bytesN, and
// tuples and fixed arrays of them) and dynamic arrays of those: what the Marketplace's views and
// batch views return. ethers' decoder copies the whole encoded result for every 32-byte word it
// reads (its inflation check builds its error details before checking, ethers 6.17), so decoding
// grows with the square of the result: a getLeases of 500 leases took seconds of CPU, and a
// settlement round over 10,000 leases minutes. This one reads each word once.
import { getAddress, getBytes, hexlify, type ParamType } from 'ethers';

/** Bytes of one ABI word. */
const word = 32;

/**
 * The value of `param` encoded alone in `data` (a function's single output), as ethers decodes it
 * and `plainValue` turns it into plain data: tuples as objects by component name, integers as
 * bigints, addresses checksummed, `bytesN` as lowercase hex. Undefined when the type has a part
 * this decoder does not read (`bytes`, `string`, arrays of dynamic types): decode it with ethers.
 * Throws a RangeError when `data` is too short for what it says it holds.
 *
 * @example
 * const output = market.interface.getFunction('getLeases')!.outputs[0]!;
 * decodeStaticResult(output, await runner.call(tx)) // [{ tenant, provider, ... }, ...]
 */
export function decodeStaticResult(param: ParamType, data: string): unknown {
  if (!isDecodable(param)) return undefined;
  const reader = new WordReader(getBytes(data));
  if (!isDynamicArray(param)) return reader.value(param, 0);
  return reader.dynamicArray(param, Number(reader.uint(0)));
}

/** Static types, and dynamic arrays of static types. */
function isDecodable(param: ParamType): boolean {
  return isDynamicArray(param) ? isStatic(param.arrayChildren!) : isStatic(param);
}

function isDynamicArray(param: ParamType): boolean {
  return param.isArray() && param.arrayLength === -1;
}

function isStatic(param: ParamType): boolean {
  if (param.isArray()) return param.arrayLength >= 0 && isStatic(param.arrayChildren);
  if (param.isTuple()) return param.components.every(isStatic);
  return /^(address|bool|u?int\d*|bytes\d+)$/.test(param.baseType);
}

/** Bytes `param` takes inline (a static type). */
function staticSize(param: ParamType): number {
  if (param.isArray()) return param.arrayLength * staticSize(param.arrayChildren);
  if (param.isTuple()) return param.components.reduce((sum, c) => sum + staticSize(c), 0);
  return word;
}

class WordReader {
  constructor(private readonly bytes: Uint8Array) {}

  /** The unsigned integer of the word at `offset`. */
  uint(offset: number): bigint {
    if (offset < 0 || offset + word > this.bytes.length) {
      throw new RangeError(
        `ABI data of ${this.bytes.length} bytes has no word at offset ${offset}`,
      );
    }
    return BigInt(hexlify(this.bytes.subarray(offset, offset + word)));
  }

  /** A dynamic array of static elements whose head (length, then elements) is at `offset`. */
  dynamicArray(param: ParamType, offset: number): unknown[] {
    const length = this.uint(offset);
    const child = param.arrayChildren!;
    const size = staticSize(child);
    const start = offset + word;
    if (BigInt(start) + length * BigInt(size) > BigInt(this.bytes.length)) {
      throw new RangeError(
        `ABI data of ${this.bytes.length} bytes cannot hold ${length} elements at offset ${start}`,
      );
    }
    return Array.from({ length: Number(length) }, (_, i) => this.value(child, start + i * size));
  }

  /** A static value at `offset`. */
  value(param: ParamType, offset: number): unknown {
    if (param.isTuple()) {
      let at = offset;
      return Object.fromEntries(
        param.components.map((component) => {
          const value = this.value(component, at);
          at += staticSize(component);
          return [component.name, value];
        }),
      );
    }
    if (param.isArray()) {
      const size = staticSize(param.arrayChildren);
      return Array.from({ length: param.arrayLength }, (_, i) =>
        this.value(param.arrayChildren, offset + i * size),
      );
    }
    const raw = this.uint(offset);
    const type = param.baseType;
    if (type === 'address') {
      if (raw >> 160n !== 0n) throw new RangeError(`the word at offset ${offset} is no address`);
      return getAddress(`0x${raw.toString(16).padStart(40, '0')}`);
    }
    if (type === 'bool') return raw !== 0n;
    if (type.startsWith('bytes')) {
      return hexlify(this.bytes.subarray(offset, offset + Number(type.slice(5))));
    }
    // uintN and intN, as ethers reads them: the low N bits, signed for intN.
    const bits = BigInt(type.replace(/^u?int/, '') || '256');
    const value = raw & ((1n << bits) - 1n);
    return type.startsWith('int') && value >> (bits - 1n) === 1n ? value - (1n << bits) : value;
  }
}
