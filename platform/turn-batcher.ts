/**
 * Gathers the calls made during one turn of the event loop and answers them all with one `flush` of their
 * items (at most `max` per flush; more start the next one), each call getting the answer at its own
 * position. For round trips that take many items at once: under load, concurrent work that would send one
 * request each sends one request per turn. A failed flush fails every call in it.
 */
export function turnBatcher<I, O>(flush: (items: I[]) => Promise<O[]>, max = Infinity): (item: I) => Promise<O> {
  let gathering: { items: I[]; answer: Promise<O[]> } | null = null;
  return (item) => {
    let batch = gathering;
    if (!batch) {
      const items: I[] = [];
      const answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (gathering?.items === items) gathering = null;
        return flush(items);
      });
      batch = gathering = { items, answer };
    }
    const position = batch.items.push(item) - 1;
    if (batch.items.length >= max) gathering = null;
    return batch.answer.then((answers) => {
      if (answers.length !== batch.items.length)
        throw new Error(`a batch of ${batch.items.length} got ${answers.length} answers`);
      return answers[position]!;
    });
  };
}
