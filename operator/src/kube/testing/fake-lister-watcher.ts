import type { ListResult, WatchEnd, WatchEvent } from '../client.js';
import type { ListerWatcher } from '../informer.js';
import type { KubeObject } from '../objects.js';

/** One open fake watch: the test emits events into it and ends it. */
export interface OpenWatch<T> {
  readonly resourceVersion: string;
  emit(event: WatchEvent<T>): void;
  end(result: WatchEnd): void;
}

/** A scripted API server for one kind: tests set the list result and drive each watch by hand. */
export class FakeListerWatcher<T extends KubeObject> implements ListerWatcher<T> {
  listResult: ListResult<T> | Error = { items: [], resourceVersion: '1' };
  watchRefusal: Error | undefined;
  lists = 0;
  watches: OpenWatch<T>[] = [];

  async list(_signal: AbortSignal, map: (object: T) => T): Promise<ListResult<T>> {
    this.lists++;
    if (this.listResult instanceof Error) throw this.listResult;
    return { ...this.listResult, items: this.listResult.items.map(map) };
  }

  watch(
    options: { resourceVersion: string; signal: AbortSignal },
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchEnd> {
    if (this.watchRefusal) return Promise.resolve({ reason: 'error', error: this.watchRefusal });
    return new Promise((resolve) => {
      let done = false;
      const end = (result: WatchEnd): void => {
        if (!done) resolve(result);
        done = true;
      };
      options.signal.addEventListener('abort', () => end({ reason: 'aborted' }));
      this.watches.push({
        resourceVersion: options.resourceVersion,
        emit: (event) => {
          if (done) throw new Error('emit on a watch that ended');
          try {
            onEvent(event);
          } catch (error) {
            end({ reason: 'error', error });
          }
        },
        end,
      });
    });
  }

  /** The watch opened last. */
  get current(): OpenWatch<T> {
    const watch = this.watches.at(-1);
    if (!watch) throw new Error('no watch open');
    return watch;
  }
}
