/** What the swarm replicates: opaque encoded entries in per-author feeds. The ledger satisfies it. */
export type Clock = Record<string, number>

export interface LedgerRefusal {
  code: string
  message: string
  author?: string
  seq?: number
}

export interface IngestResult {
  accepted: number
  duplicates: number
  held: string[]
  refused: LedgerRefusal[]
  /**
   * Entries newly applied, by author, with the newest `ts` (the author's clock) among them; a
   * feed that does not tell counts as none.
   */
  acceptedBy?: Record<string, { entries: number; ts: number }>
  /** Authors the batch showed forking their feed: no fault of the sender, which may only relay them. */
  forks?: string[]
}

export interface ReplicatedFeed {
  readonly author: string
  clock(): Promise<Clock>
  missing(
    theirs: Clock,
    opts?: { maxBatchBytes?: number; maxBatchEntries?: number },
  ): AsyncIterable<Uint8Array[]>
  /** May be called again before the previous call settles; batches must be applied in call order. */
  ingest(encoded: Uint8Array[]): Promise<IngestResult>
  onEntries(
    listener: (entries: unknown[], encoded: Uint8Array[], origin: 'local' | 'remote') => void,
  ): () => void
}
