/** A binary min-heap ordered by `priority` (ties: insertion order). */
export class MinHeap<T> {
  private readonly entries: { priority: number; order: number; value: T }[] = [];
  private inserted = 0;

  get size(): number {
    return this.entries.length;
  }

  push(priority: number, value: T): void {
    this.entries.push({ priority, order: this.inserted++, value });
    this.up(this.entries.length - 1);
  }

  /** The lowest priority without removing it. */
  peek(): { priority: number; value: T } | undefined {
    return this.entries[0];
  }

  pop(): { priority: number; value: T } | undefined {
    const top = this.entries[0];
    const last = this.entries.pop();
    if (top && last && this.entries.length > 0) {
      this.entries[0] = last;
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.entries.length = 0;
  }

  private less(a: number, b: number): boolean {
    const x = this.entries[a]!;
    const y = this.entries[b]!;
    return x.priority < y.priority || (x.priority === y.priority && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    const x = this.entries[a]!;
    this.entries[a] = this.entries[b]!;
    this.entries[b] = x;
  }

  private up(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(index, parent)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private down(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.entries.length && this.less(left, smallest)) smallest = left;
      if (right < this.entries.length && this.less(right, smallest)) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }
}
