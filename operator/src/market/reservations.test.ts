import { ReservationBook } from './reservations.js';

const reservation = (orderId: bigint, pool: string, gpus: number) => ({
  orderId,
  pool,
  gpus,
  pricePerSecond: 1n,
  biddingDeadline: 0,
});

describe('ReservationBook', () => {
  it('counts GPUs per pool and in all', () => {
    const book = new ReservationBook();
    book.hold(reservation(1n, 'h100', 2));
    book.hold(reservation(2n, 'h100', 4));
    book.hold(reservation(3n, 'a100', 1));
    expect(book.gpusOn('h100')).toBe(6);
    expect(book.gpusOn('a100')).toBe(1);
    expect(book.gpusOn('other')).toBe(0);
    expect(book.totalGpus()).toBe(7);
    expect(book.size).toBe(3);
  });

  it('holds one reservation per order (holding again replaces it)', () => {
    const book = new ReservationBook();
    book.hold(reservation(1n, 'h100', 2));
    book.hold(reservation(1n, 'h100', 3));
    expect(book.gpusOn('h100')).toBe(3);
    expect(book.size).toBe(1);
  });

  it('releases once: the second release finds nothing', () => {
    const book = new ReservationBook();
    book.hold(reservation(1n, 'h100', 2));
    expect(book.release(1n)?.gpus).toBe(2);
    expect(book.release(1n)).toBeUndefined();
    expect(book.gpusOn('h100')).toBe(0);
  });
});
