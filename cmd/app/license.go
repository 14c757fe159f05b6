package app

import (
	"cloudbroker/drivers"
	"cloudbroker/drivers/catalog"
	"cloudbroker/drivers/kvm"
	"cloudbroker/drivers/vcenter"
)

// driverConns are the connection types of the drivers this binary has, by driver name: what
// a driver can do is what its Conn type implements, the same type assertion the broker makes
// on an open connection, asked here of a nil one so no provider need be reachable.
var driverConns = map[string]drivers.Conn{
	vcenter.DriverName: (*vcenter.Conn)(nil),
	"kvm":              (*kvm.Conn)(nil),
	catalog.DriverName: (*catalog.Conn)(nil),
}

// driverCanClone reports whether a driver implements drivers.Cloner.
func driverCanClone(driver string) bool {
	_, ok := driverConns[driver].(drivers.Cloner)
	return ok
}
