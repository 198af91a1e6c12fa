package suites

import "time"

// Date-times in the canonical millisecond form (milliLayout) are read and
// written by hand: the query checks compare and the packed columns store
// millions of them, and time.Parse and Time.Format were a fifth of a
// oneroster-1.1 run's CPU (issue 16). Anything else goes through the time
// package; instant_test.go proves both ways agree.

// parseMilli reads s in milliLayout ("2006-01-02T15:04:05.000Z") as Unix
// milliseconds; ok is false for any other text, or a field out of range
// (as time.Parse would refuse it).
func parseMilli(s string) (ms int64, ok bool) {
	if len(s) != len(milliLayout) || s[19] != '.' || s[23] != 'Z' {
		return 0, false
	}
	milli := digits(s[20:23])
	sec, ok := parseSeconds(s[:19])
	if !ok || milli < 0 {
		return 0, false
	}
	return sec*1000 + int64(milli), true
}

// parseSeconds reads "2006-01-02T15:04:05" as Unix seconds (UTC).
func parseSeconds(s string) (int64, bool) {
	if len(s) != 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	days, ok := parseDays(s[:10])
	h, mi, sec := digits(s[11:13]), digits(s[14:16]), digits(s[17:19])
	if !ok || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	return (days*24+int64(h))*3600 + int64(mi)*60 + int64(sec), true
}

// parseDays reads "2006-01-02" as days since 1970-01-01.
func parseDays(s string) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, mo, d := digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(mo, y) {
		return 0, false
	}
	return daysFromCivil(y, mo, d), true
}

// digits reads a run of ASCII digits; -1 when s holds anything else.
func digits(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// fastInstant reads the three forms the data uses most by hand: a date
// (midnight UTC), a dateTime in whole seconds and one with milliseconds,
// both in UTC (Z). ok is false for anything else.
func fastInstant(s string) (time.Time, bool) {
	switch len(s) {
	case 10:
		if d, ok := parseDays(s); ok {
			return time.Unix(d*86400, 0).UTC(), true
		}
	case 20:
		if s[19] == 'Z' {
			if sec, ok := parseSeconds(s[:19]); ok {
				return time.Unix(sec, 0).UTC(), true
			}
		}
	case len(milliLayout):
		if ms, ok := parseMilli(s); ok {
			return time.UnixMilli(ms).UTC(), true
		}
	}
	return time.Time{}, false
}

// formatMilli writes Unix milliseconds in milliLayout (UTC); years outside
// 0-9999 go through Time.Format.
func formatMilli(ms int64) string {
	const dayMs = 24 * 60 * 60 * 1000
	days, rem := ms/dayMs, ms%dayMs
	if rem < 0 {
		days, rem = days-1, rem+dayMs
	}
	y, mo, d := civilFromDays(days)
	if y < 0 || y > 9999 {
		return time.UnixMilli(ms).UTC().Format(milliLayout)
	}
	var b [24]byte
	put := func(i, n, v int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, y)
	b[4] = '-'
	put(5, 2, mo)
	b[7] = '-'
	put(8, 2, d)
	b[10] = 'T'
	put(11, 2, int(rem/3600000))
	b[13] = ':'
	put(14, 2, int(rem/60000%60))
	b[16] = ':'
	put(17, 2, int(rem/1000%60))
	b[19] = '.'
	put(20, 3, int(rem%1000))
	b[23] = 'Z'
	return string(b[:])
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil and civilFromDays convert between a proleptic Gregorian
// date and days since 1970-01-01 (Howard Hinnant's algorithms).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}
