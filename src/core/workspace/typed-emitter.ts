type Listener<T> = (value: T) => void;

/** A tiny typed emitter: listeners run synchronously; the returned function unsubscribes. */
export class TypedEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();

  on(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
}
