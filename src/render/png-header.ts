/**
 * A PNG's declared geometry, read from its IHDR chunk (the first 33 bytes) without decoding
 * anything: a 1.5 MB file can declare 20000x20000 and make a decoder allocate gigabytes, so a
 * frame's size is checked against the job's before a single pixel is inflated.
 */
export interface PngHeader {
  width: number
  height: number
  bitDepth: number
  colorType: number
  interlaced: boolean
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
/** Signature, IHDR length and type, 13 bytes of IHDR. */
export const PNG_HEADER_BYTES = 8 + 8 + 13

/** The header, or why the bytes are not the start of a PNG. */
export function parsePngHeader(bytes: Uint8Array): PngHeader | string {
  if (bytes.length < PNG_HEADER_BYTES) return 'is too short to be a PNG'
  if (SIGNATURE.some((b, i) => bytes[i] !== b)) return 'is not a PNG (no PNG signature)'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = String.fromCharCode(...bytes.subarray(12, 16))
  if (view.getUint32(8) !== 13 || type !== 'IHDR') return 'is not a PNG (no IHDR chunk first)'
  const width = view.getUint32(16)
  const height = view.getUint32(20)
  if (width === 0 || height === 0) return `declares an empty image (${width}x${height})`
  return {
    width,
    height,
    bitDepth: bytes[24]!,
    colorType: bytes[25]!,
    interlaced: bytes[28] !== 0,
  }
}
