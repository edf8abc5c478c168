import { CaptureError } from './errors.ts'

/** A place on Earth for `--daylight`: degrees, north and east positive. */
export interface Place {
  lat: number
  lon: number
}

const J2000 = 2451545
const RAD = Math.PI / 180
const EARTH_TILT = 23.4397 * RAD
// The sun's disc is "up" when its upper edge clears the horizon, refraction included.
const SUNRISE_ALTITUDE = -0.833 * RAD

export function parsePlace(text: string): Place {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text)
  const lat = Number(match?.[1])
  const lon = Number(match?.[2])
  if (match === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    throw CaptureError.BAD_OPTION(
      '--daylight',
      text,
      'LAT,LON in degrees, e.g. 48.85,2.35 (south and west negative)',
    )
  }
  return { lat, lon }
}

function julianDays(at: Date): number {
  return at.getTime() / 86_400_000 + 2440587.5 - J2000
}

function fromJulianDays(days: number): Date {
  return new Date((days + J2000 - 2440587.5) * 86_400_000)
}

export type SunDay = { sunrise: Date; sunset: Date } | { polar: 'day' | 'night' }

/**
 * Sunrise and sunset around the solar noon nearest to `at`, by the sunrise equation (accurate
 * to a minute or two, plenty for deciding whether to take a picture).
 */
export function sunDay(at: Date, place: Place): SunDay {
  const noonIndex = Math.round(julianDays(at) + place.lon / 360)
  const meanNoon = noonIndex - place.lon / 360
  const anomaly = ((357.5291 + 0.98560028 * meanNoon) % 360) * RAD
  const centre = 1.9148 * Math.sin(anomaly) + 0.02 * Math.sin(2 * anomaly) + 0.0003 * Math.sin(3 * anomaly)
  const longitude = ((anomaly / RAD + centre + 180 + 102.9372) % 360) * RAD
  const transit = meanNoon + 0.0053 * Math.sin(anomaly) - 0.0069 * Math.sin(2 * longitude)
  const declination = Math.asin(Math.sin(longitude) * Math.sin(EARTH_TILT))
  const lat = place.lat * RAD
  const cosHourAngle =
    (Math.sin(SUNRISE_ALTITUDE) - Math.sin(lat) * Math.sin(declination)) /
    (Math.cos(lat) * Math.cos(declination))
  if (cosHourAngle < -1) return { polar: 'day' }
  if (cosHourAngle > 1) return { polar: 'night' }
  const halfDay = Math.acos(cosHourAngle) / (2 * Math.PI)
  return { sunrise: fromJulianDays(transit - halfDay), sunset: fromJulianDays(transit + halfDay) }
}

export function isDaylight(at: Date, place: Place): boolean {
  const sun = sunDay(at, place)
  if ('polar' in sun) return sun.polar === 'day'
  return at >= sun.sunrise && at <= sun.sunset
}
