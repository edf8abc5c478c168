/** What a JPEG's header says about it, read without decoding pixels (a Pi has little memory). */
export interface JpegInfo {
  width: number
  height: number
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
}

export function isPng(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
  return bytes.length > 8 && signature.every((byte, i) => bytes[i] === byte)
}

/**
 * Size from the first start-of-frame segment, or undefined when the stream is not a complete
 * JPEG. A camera that drops the connection mid-transfer leaves no end-of-image marker, so a
 * truncated file is refused here rather than recorded as a frame.
 */
export function readJpegInfo(bytes: Uint8Array): JpegInfo | undefined {
  if (!isJpeg(bytes)) return undefined
  let end = bytes.length
  while (end > 2 && bytes[end - 1] !== 0xd9) end--
  if (end < 4 || bytes[end - 2] !== 0xff) return undefined
  let offset = 2
  while (offset + 9 < end) {
    if (bytes[offset] !== 0xff) return undefined
    const marker = bytes[offset + 1]!
    if (marker === 0xff) {
      offset++
      continue
    }
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!
      const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!
      return width > 0 && height > 0 ? { width, height } : undefined
    }
    if (marker === 0xda || length < 2) return undefined
    offset += 2 + length
  }
  return undefined
}
