import { crc32 } from 'node:zlib'

/**
 * A store-only ZIP written as a stream: JPEGs do not compress, so storing them costs nothing and
 * lets the archive start downloading at once, one file at a time in memory. Each entry's CRC and
 * size are known before its header (the frame is read whole first), so no data descriptors:
 * every unzip tool reads the result. Past 4 GiB (a day of 12 MP frames) offsets move to Zip64
 * records, which those tools read too.
 */

const LOCAL_HEADER = 0x04034b50
const CENTRAL_HEADER = 0x02014b50
const END_OF_CENTRAL = 0x06054b50
const ZIP64_END = 0x06064b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EXTRA = 0x0001
/** Bit 11: names are UTF-8. */
const UTF8 = 0x0800
const MAX32 = 0xffffffff
const MAX16 = 0xffff

interface Entry {
  name: Buffer
  crc: number
  size: number
  offset: number
  time: number
  date: number
}

/** MS-DOS date and time, the only ones every reader shows; two-second steps, local to no zone. */
function dosDateTime(at: Date): { time: number; date: number } {
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
    date:
      ((Math.max(1980, at.getUTCFullYear()) - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  }
}

export class ZipWriter {
  readonly #write: (chunk: Buffer) => Promise<void>
  readonly #zip64From: number
  readonly #entries: Entry[] = []
  #offset = 0

  /** `zip64From` lowers the 4 GiB threshold, so tests can check the Zip64 form with small files. */
  constructor(write: (chunk: Buffer) => Promise<void>, opts: { zip64From?: number } = {}) {
    this.#write = write
    this.#zip64From = opts.zip64From ?? MAX32
  }

  async #out(chunk: Buffer): Promise<void> {
    this.#offset += chunk.length
    await this.#write(chunk)
  }

  async add(name: string, data: Uint8Array, modified: Date): Promise<void> {
    const encoded = Buffer.from(name, 'utf8')
    const { time, date } = dosDateTime(modified)
    const entry: Entry = {
      name: encoded,
      crc: crc32(data),
      size: data.length,
      offset: this.#offset,
      time,
      date,
    }
    const header = Buffer.alloc(30)
    header.writeUInt32LE(LOCAL_HEADER, 0)
    header.writeUInt16LE(10, 4)
    header.writeUInt16LE(UTF8, 6)
    header.writeUInt16LE(0, 8)
    header.writeUInt16LE(time, 10)
    header.writeUInt16LE(date, 12)
    header.writeUInt32LE(entry.crc, 14)
    header.writeUInt32LE(data.length, 18)
    header.writeUInt32LE(data.length, 22)
    header.writeUInt16LE(encoded.length, 26)
    header.writeUInt16LE(0, 28)
    this.#entries.push(entry)
    await this.#out(Buffer.concat([header, encoded]))
    await this.#out(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
  }

  async finish(): Promise<void> {
    const start = this.#offset
    for (const entry of this.#entries) await this.#out(this.#central(entry))
    const size = this.#offset - start
    const count = this.#entries.length
    const zip64 = count >= MAX16 || start >= this.#zip64From || size >= this.#zip64From
    if (zip64) {
      const record = Buffer.alloc(56)
      record.writeUInt32LE(ZIP64_END, 0)
      record.writeBigUInt64LE(44n, 4)
      record.writeUInt16LE(45, 12)
      record.writeUInt16LE(45, 14)
      record.writeBigUInt64LE(BigInt(count), 24)
      record.writeBigUInt64LE(BigInt(count), 32)
      record.writeBigUInt64LE(BigInt(size), 40)
      record.writeBigUInt64LE(BigInt(start), 48)
      const locator = Buffer.alloc(20)
      locator.writeUInt32LE(ZIP64_LOCATOR, 0)
      locator.writeBigUInt64LE(BigInt(start + size), 8)
      locator.writeUInt32LE(1, 16)
      await this.#out(Buffer.concat([record, locator]))
    }
    const end = Buffer.alloc(22)
    end.writeUInt32LE(END_OF_CENTRAL, 0)
    end.writeUInt16LE(zip64 ? MAX16 : count, 8)
    end.writeUInt16LE(zip64 ? MAX16 : count, 10)
    end.writeUInt32LE(zip64 ? MAX32 : size, 12)
    end.writeUInt32LE(zip64 ? MAX32 : start, 16)
    await this.#out(end)
  }

  #central(entry: Entry): Buffer {
    const far = entry.offset >= this.#zip64From
    const extra = Buffer.alloc(far ? 12 : 0)
    if (far) {
      extra.writeUInt16LE(ZIP64_EXTRA, 0)
      extra.writeUInt16LE(8, 2)
      extra.writeBigUInt64LE(BigInt(entry.offset), 4)
    }
    const header = Buffer.alloc(46)
    header.writeUInt32LE(CENTRAL_HEADER, 0)
    // Made by Unix (3), spec 4.5; needed: 1.0 for stored files, 4.5 for Zip64 fields.
    header.writeUInt16LE((3 << 8) | 45, 4)
    header.writeUInt16LE(far ? 45 : 10, 6)
    header.writeUInt16LE(UTF8, 8)
    header.writeUInt16LE(0, 10)
    header.writeUInt16LE(entry.time, 12)
    header.writeUInt16LE(entry.date, 14)
    header.writeUInt32LE(entry.crc, 16)
    header.writeUInt32LE(entry.size, 20)
    header.writeUInt32LE(entry.size, 24)
    header.writeUInt16LE(entry.name.length, 28)
    header.writeUInt16LE(extra.length, 30)
    // Comment length, disk number, internal attributes: all 0.
    header.writeUInt32LE((0o100644 << 16) >>> 0, 38)
    header.writeUInt32LE(far ? MAX32 : entry.offset, 42)
    return Buffer.concat([header, entry.name, extra])
  }
}
