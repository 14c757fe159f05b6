package inventory

import "strconv"

// value is one leaf of a row: its text, and its number pre-parsed so comparisons never parse
// strings during a scan. The dictionary of a column holds one value per distinct text.
type value struct {
	s   string
	n   float64
	num bool
}

func newValue(s string) value {
	n, ok := Number(s)
	return value{s: s, n: n, num: ok}
}

// Number reads a plain decimal number ("-12", "3.5"), the only texts the query language
// compares numerically: ParseFloat alone would read ids such as "0e8" or "inf" as numbers and
// make the order of mixed values inconsistent.
func Number(s string) (float64, bool) {
	if !isDecimal(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

func isDecimal(s string) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch r := s[i]; {
		case r >= '0' && r <= '9':
			digits++
		case r == '-' && i == 0:
		case r == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
