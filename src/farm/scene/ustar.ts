/**
 * The POSIX ustar header: 512-byte blocks, octal numbers, a name split into prefix and name.
 * Only what scene archives need: regular files, directories and symbolic links, with every
 * field that would vary between machines (mtime, owner, group) written as zero.
 */
import { FarmError } from '../errors.ts'

export const BLOCK = 512

export type UstarType = 'file' | 'directory' | 'symlink'

export interface UstarHeader {
  path: string
  type: UstarType
  mode: number
  size: number
  linkTarget: string
}

/** The largest size an 11-digit octal field holds. */
export const MAX_ENTRY_SIZE = 8 ** 11 - 1

const TYPE_FLAG: Record<UstarType, string> = { file: '0', directory: '5', symlink: '2' }

export function encodeHeader(header: UstarHeader): Buffer {
  const block = Buffer.alloc(BLOCK)
  const { prefix, name } = splitPath(header.type === 'directory' ? `${header.path}/` : header.path)
  const linkTarget = Buffer.from(header.linkTarget)
  if (linkTarget.length > 100) throw FarmError.PATH_TOO_LONG(header.linkTarget)
  name.copy(block, 0)
  writeOctal(block, 100, 8, header.mode)
  writeOctal(block, 108, 8, 0)
  writeOctal(block, 116, 8, 0)
  writeOctal(block, 124, 12, header.size)
  writeOctal(block, 136, 12, 0)
  block.write(TYPE_FLAG[header.type], 156, 'latin1')
  linkTarget.copy(block, 157)
  block.write('ustar\u000000', 257, 'latin1')
  writeOctal(block, 329, 8, 0)
  writeOctal(block, 337, 8, 0)
  prefix.copy(block, 345)
  block.fill(0x20, 148, 156)
  writeOctal(block, 148, 7, checksum(block))
  return block
}

/** The header in `block`, or undefined for the zero block that ends an archive. */
export function decodeHeader(block: Buffer): UstarHeader | undefined {
  if (block.every((b) => b === 0)) return undefined
  if (block.toString('latin1', 257, 262) !== 'ustar')
    throw FarmError.BAD_ARCHIVE('an entry is not in ustar format')
  const stored = readOctal(block, 148, 8)
  const copy = Buffer.from(block)
  copy.fill(0x20, 148, 156)
  if (stored !== checksum(copy)) throw FarmError.BAD_ARCHIVE('a header checksum does not match')
  const name = readString(block, 0, 100)
  const prefix = readString(block, 345, 155)
  const path = prefix ? `${prefix}/${name}` : name
  const flag = block.toString('latin1', 156, 157)
  const type =
    flag === '0' || flag === '\u0000'
      ? 'file'
      : flag === '5'
        ? 'directory'
        : flag === '2'
          ? 'symlink'
          : undefined
  if (!type)
    throw FarmError.UNSAFE_ARCHIVE_ENTRY(
      path,
      `entry type ${JSON.stringify(flag)} is not a file, directory or symlink`,
    )
  return {
    path: type === 'directory' ? path.replace(/\/+$/, '') : path,
    type,
    mode: readOctal(block, 100, 8),
    size: readOctal(block, 124, 12),
    linkTarget: readString(block, 157, 100),
  }
}

/** Zero bytes that bring a body of `size` bytes to a whole block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

function splitPath(path: string): { prefix: Buffer; name: Buffer } {
  const bytes = Buffer.from(path)
  if (bytes.length <= 100) return { prefix: Buffer.alloc(0), name: bytes }
  // Split at a slash so that the prefix fits 155 bytes and the rest 100 (a directory's own trailing slash excluded).
  for (let i = Math.min(155, bytes.length - 2); i > 0; i--) {
    if (bytes[i] === 0x2f && bytes.length - i - 1 <= 100)
      return { prefix: bytes.subarray(0, i), name: bytes.subarray(i + 1) }
  }
  throw FarmError.PATH_TOO_LONG(path)
}

function checksum(block: Buffer): number {
  let sum = 0
  for (const byte of block) sum += byte
  return sum
}

function writeOctal(block: Buffer, offset: number, length: number, value: number) {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'latin1')
}

function readOctal(block: Buffer, offset: number, length: number): number {
  const text = readString(block, offset, length).trim()
  if (!/^[0-7]*$/.test(text)) throw FarmError.BAD_ARCHIVE(`a number field holds ${JSON.stringify(text)}`)
  return text === '' ? 0 : Number.parseInt(text, 8)
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length)
  const end = field.indexOf(0)
  return field.subarray(0, end < 0 ? length : end).toString('utf8')
}
