package broker

import "cloudbroker/broker/model"

// pageParams checks a listing's start (named as the caller's field, e.g. "offset") and limit,
// and returns the limit with its default applied.
func pageParams(startName string, start, limit int) (int, error) {
	if start < 0 {
		return 0, model.Errorf(model.ErrInvalid, "%s %d must be >= 0", startName, start)
	}
	if limit < 0 || limit > MaxPageSize {
		return 0, model.Errorf(model.ErrInvalid, "limit %d must be between 1 and %d", limit, MaxPageSize)
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	return limit, nil
}

// pageOf returns the items from start, at most limit of them, without computing start+limit,
// which could overflow.
func pageOf[T any](all []T, start, limit int) []T {
	lo := min(start, len(all))
	return all[lo : lo+min(limit, len(all)-lo)]
}
