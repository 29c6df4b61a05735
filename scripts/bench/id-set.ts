/**
 * A set of event ids (32 hex digits) that costs 8 bytes per slot and no garbage: the first 64 bits
 * of each id in an open-addressing table of two Uint32Arrays, doubled when half full. A soak puts
 * millions of ids through the stdout reader, which shares its CPU with the load generator: a
 * `Set<string>` of that size spends the CPU on GC and would slow the load, not the relay. Two
 * distinct ids share their first 64 bits with probability ~n²/2⁶⁵ (about 10⁻⁷ for two million).
 */
export class IdSet {
  #high = new Uint32Array(1 << 16);
  #low = new Uint32Array(1 << 16);
  #used = new Uint8Array(1 << 16);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /**
   * Adds an id.
   *
   * @param id 32 lowercase hex digits (only the first 16 are used).
   * @returns False if the id is not 32 hex digits.
   */
  add(id: string): boolean {
    if (id.length !== 32 || !/^[0-9a-f]{32}$/.test(id)) return false;
    this.#insert(Number.parseInt(id.slice(0, 8), 16) >>> 0, Number.parseInt(id.slice(8, 16), 16) >>> 0);
    if (this.#size * 2 > this.#used.length) this.#grow();
    return true;
  }

  #insert(high: number, low: number): void {
    const mask = this.#used.length - 1;
    for (let slot = (low ^ Math.imul(high, 0x9e3779b1)) & mask; ; slot = (slot + 1) & mask) {
      if (this.#used[slot] === 0) {
        this.#used[slot] = 1;
        this.#high[slot] = high;
        this.#low[slot] = low;
        this.#size++;
        return;
      }
      if (this.#high[slot] === high && this.#low[slot] === low) return;
    }
  }

  #grow(): void {
    const [high, low, used] = [this.#high, this.#low, this.#used];
    this.#high = new Uint32Array(high.length * 2);
    this.#low = new Uint32Array(low.length * 2);
    this.#used = new Uint8Array(used.length * 2);
    this.#size = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.#insert(high[i] as number, low[i] as number);
  }
}
