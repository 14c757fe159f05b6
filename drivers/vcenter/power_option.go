package vcenter

import (
	"time"

	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// OptShutdownTimeout (a Go duration, default drivers.DefaultGuestTimeout) bounds how long a
// grace stop waits for the guest to power off before forcing it; "0" makes grace stop and
// reboot force at once (PowerOff, Reset) without asking the guest.
const OptShutdownTimeout = "shutdown_timeout"

func shutdownTimeoutOption(opts map[string]string) (time.Duration, error) {
	v, ok := opts[OptShutdownTimeout]
	if !ok || v == "" {
		return drivers.DefaultGuestTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, model.Errorf(model.ErrInvalid, "vcenter option %s=%q: want a duration like 60s, or 0 to force at once", OptShutdownTimeout, v)
	}
	return d, nil
}
