/**
 * The four data banks of one simulated Modbus device, each spanning the full 65536 addresses.
 *
 * Storage is paged and allocated on first write: a benchmark runs 1,000 devices in one process,
 * and 1,000 × (2 × 128 KiB registers + 2 × 64 KiB bits) would cost ~400 MB for mostly empty
 * space. Reading a page that was never written yields zeros, as a freshly powered device would.
 */
import type { RegisterFunction } from '../../../drivers/modbus/config.js';

const PAGE_BITS = 8;
const PAGE_SIZE = 1 << PAGE_BITS; // 256 entries
const PAGE_MASK = PAGE_SIZE - 1;
const PAGES = 65536 / PAGE_SIZE;

/** 65536 16-bit registers (holding or input). */
export class RegisterBank {
  private readonly pages: (Uint16Array | undefined)[] = new Array(PAGES);

  get(address: number): number {
    return this.pages[address >>> PAGE_BITS]?.[address & PAGE_MASK] ?? 0;
  }

  set(address: number, word: number): void {
    this.page(address)[address & PAGE_MASK] = word & 0xffff;
  }

  /** Copies `quantity` registers big-endian into `out` at `offset` (the wire format). */
  readInto(address: number, quantity: number, out: Buffer, offset: number): void {
    for (let i = 0; i < quantity; i++) {
      const a = address + i;
      const word = this.pages[a >>> PAGE_BITS]?.[a & PAGE_MASK] ?? 0;
      out[offset++] = word >>> 8;
      out[offset++] = word & 0xff;
    }
  }

  /** Writes words; `words` may be any array-like of 0..65535 values. */
  write(address: number, words: ArrayLike<number>): void {
    for (let i = 0; i < words.length; i++) this.set(address + i, words[i] ?? 0);
  }

  private page(address: number): Uint16Array {
    const index = address >>> PAGE_BITS;
    let page = this.pages[index];
    if (!page) {
      page = new Uint16Array(PAGE_SIZE);
      this.pages[index] = page;
    }
    return page;
  }
}

/** 65536 single bits (coils or discrete inputs), one byte per bit inside a page for simplicity. */
export class BitBank {
  private readonly pages: (Uint8Array | undefined)[] = new Array(PAGES);

  get(address: number): boolean {
    return (this.pages[address >>> PAGE_BITS]?.[address & PAGE_MASK] ?? 0) !== 0;
  }

  set(address: number, value: boolean): void {
    const index = address >>> PAGE_BITS;
    let page = this.pages[index];
    if (!page) {
      page = new Uint8Array(PAGE_SIZE);
      this.pages[index] = page;
    }
    page[address & PAGE_MASK] = value ? 1 : 0;
  }

  /** Packs `quantity` bits LSB-first into `out` at `offset`, as FC1/FC2 responses carry them. */
  readInto(address: number, quantity: number, out: Buffer, offset: number): void {
    const bytes = (quantity + 7) >>> 3;
    out.fill(0, offset, offset + bytes);
    for (let i = 0; i < quantity; i++) {
      if (this.get(address + i)) out[offset + (i >>> 3)]! |= 1 << (i & 7);
    }
  }

  write(address: number, values: ArrayLike<boolean>): void {
    for (let i = 0; i < values.length; i++) this.set(address + i, values[i] === true);
  }
}

/** One device's memory: what a unit id on the bus exposes. */
export class DeviceBanks {
  readonly coil = new BitBank();
  readonly discrete = new BitBank();
  readonly holding = new RegisterBank();
  readonly input = new RegisterBank();

  /** Writes raw words (registers) or 0/1 words (bits) into the named bank. */
  write(fn: RegisterFunction, address: number, words: ArrayLike<number>): void {
    if (address < 0 || address + words.length > 65536) {
      throw new RangeError(`${fn} ${address}+${words.length} is outside 0..65535`);
    }
    if (fn === 'coil' || fn === 'discrete') {
      const bank = this[fn];
      for (let i = 0; i < words.length; i++) bank.set(address + i, (words[i] ?? 0) !== 0);
    } else {
      this[fn].write(address, words);
    }
  }

  /** Reads raw words (registers) or 0/1 (bits) from the named bank. */
  read(fn: RegisterFunction, address: number, quantity: number): Uint16Array {
    const out = new Uint16Array(quantity);
    for (let i = 0; i < quantity; i++) {
      out[i] = fn === 'coil' || fn === 'discrete' ? (this[fn].get(address + i) ? 1 : 0) : this[fn].get(address + i);
    }
    return out;
  }
}
