package queue

// Key names for the package's external tests, which check what is stored under them.
var (
	RecordKey   = recordKey
	ClaimKey    = claimKey
	ProgressKey = progressKey
	LongJobKey  = longJobKey
)
