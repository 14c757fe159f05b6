package zstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"cloudbroker/broker"
	"cloudbroker/broker/license"
	"cloudbroker/broker/model"
	"cloudbroker/drivers"
)

// The licence APIs read and change the broker's licence (license.Service, kept in Redis so
// every replica has the same one).

// unlimited is what hostNum and cpuNum answer for a licence with no limit (the free one):
// ZStack's fields are Java Integers, and a client that subtracts from them must not see a
// limit of zero.
const unlimited = math.MaxInt32

// licenseInventory is ZStack's LicenseInventory. Dates are rendered as every other ZStack date
// ("Jan 2, 2006 3:04:05 PM" in the configured zone), not the manual's sample "2017-01-19
// 14:31:06": its field is a plain String, and the Go SDK parses this form into the right
// instant (it reads the sample's form as UTC). The free licence has neither date.
type licenseInventory struct {
	LicenseType        string `json:"licenseType"`
	LicenseRequest     string `json:"licenseRequest"`
	IssuedDate         string `json:"issuedDate,omitempty"`
	ExpiredDate        string `json:"expiredDate,omitempty"`
	UploadDate         string `json:"uploadDate,omitempty"`
	ManagementNodeUUID string `json:"managementNodeUuid,omitempty"`
	User               string `json:"user"`
	HostNum            int    `json:"hostNum"`
	CPUNum             int    `json:"cpuNum"`
	// AvailableHostNum and AvailableCPUNum equal the licensed numbers: the broker counts no
	// host against its licence (it brokers the hosts its providers manage, and counting them
	// takes a listing task on every provider).
	AvailableHostNum int  `json:"availableHostNum"`
	AvailableCPUNum  int  `json:"availableCpuNum"`
	Expired          bool `json:"expired"`
}

// licenseCapabilities are the manual's capability switches, in its order. A licence may turn
// any of them off (its document's "capabilities": {"vmware": false}).
var licenseCapabilities = []string{"addHost", "clonevm", "imagestore", "ipsec", "log", "monitoring",
	"overProvisioning", "pciDevice", "performanceMonitor", "qos", "setVmRootPassword", "usbDevice",
	"vipqos", "vmware", "vrouterRoute"}

func (s *Server) licenseInventory(l license.License) licenseInventory {
	req, _ := json.Marshal(map[string]string{"product": "cloudbroker", "version": s.o.Version})
	inv := licenseInventory{LicenseType: l.Type, LicenseRequest: base64.StdEncoding.EncodeToString(req),
		IssuedDate: s.r.date(l.IssuedDate), ExpiredDate: s.r.date(l.ExpiredDate), UploadDate: s.r.date(l.UploadDate),
		ManagementNodeUUID: l.Node, User: l.User, HostNum: l.HostNum, CPUNum: l.CPUNum,
		Expired: l.Expired(time.Now())}
	if inv.HostNum == 0 {
		inv.HostNum = unlimited
	}
	if inv.CPUNum == 0 {
		inv.CPUNum = unlimited
	}
	inv.AvailableHostNum, inv.AvailableCPUNum = inv.HostNum, inv.CPUNum
	return inv
}

// getLicenseInfo is GET /zstack/v1/licenses (GetLicenseInfo): the licence in force.
func (s *Server) getLicenseInfo(c *gin.Context) {
	l, err := s.o.Licenses.Current(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"inventory": s.licenseInventory(l)})
}

// getLicenseCapabilities is GET /zstack/v1/licenses/capabilities (GetLicenseCapabilities): what
// the broker really does with the providers configured, less what the licence turns off.
// vmware: some provider's driver reaches ESX hosts; clonevm: some provider's driver can clone
// (both as the drivers registered them, drivers.AttrsOf and drivers.Can); monitoring:
// the broker serves Prometheus metrics (/metrics). The rest are features of a ZStack cloud the
// broker does not have.
func (s *Server) getLicenseCapabilities(c *gin.Context) {
	l, err := s.o.Licenses.Current(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	on := map[string]bool{"monitoring": true}
	for _, p := range s.b.Providers().Visible(model.System) {
		on["vmware"] = on["vmware"] || drivers.AttrsOf(p.Driver).Hypervisor == drivers.HypervisorESX
		on["clonevm"] = on["clonevm"] || drivers.Can[drivers.Cloner](p.Driver)
	}
	caps := map[string]string{}
	for _, name := range licenseCapabilities {
		caps[name] = fmt.Sprint(on[name] && l.Allows(name))
	}
	c.JSON(http.StatusOK, gin.H{"capabilities": caps, "success": true})
}

// licenseActions is PUT /zstack/v1/licenses/actions: reloadLicense reads the installed licence
// again (from Redis, where every replica reads it) and verifies it now.
func (s *Server) licenseActions(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	_, params, err := pickAction(raw, []string{"reloadLicense"}, "licenses")
	if err != nil {
		fail(c, err)
		return
	}
	var p struct {
		ManagementNodeUUIDs []string `json:"managementNodeUuids"`
	}
	if err := decodeParams("reloadLicense", params, &p); err != nil {
		fail(c, err)
		return
	}
	caller := callerOf(c)
	s.accept(c, "ReloadLicense", p, func(ctx context.Context) (any, error) {
		if err := caller.RequireAll("change the broker's licence"); err != nil {
			return nil, err
		}
		for _, id := range p.ManagementNodeUUIDs {
			if err := s.liveNode(ctx, caller, id, "reloadLicense.managementNodeUuids"); err != nil {
				return nil, err
			}
		}
		l, err := s.o.Licenses.Reload(ctx)
		if err != nil {
			return nil, err
		}
		return gin.H{"inventory": s.licenseInventory(l)}, nil
	})
}

// updateLicense is PUT /zstack/v1/licenses/mn/{managementNodeUuid}/actions (UpdateLicense):
// installs a licence on every replica (they share it). A licence that is not base64, not
// signed by a configured key, malformed, expired, or sent to a node that is not running is
// refused with 400 and changes nothing.
func (s *Server) updateLicense(c *gin.Context) {
	raw, ok := s.body(c)
	if !ok {
		return
	}
	_, params, err := pickAction(raw, []string{"updateLicense"}, "a management node's licence")
	if err != nil {
		fail(c, err)
		return
	}
	var p struct {
		License         string `json:"license"`
		AdditionSession string `json:"additionSession"`
	}
	if err := decodeParams("updateLicense", params, &p); err != nil {
		fail(c, err)
		return
	}
	node := strings.ToLower(c.Param("uuid"))
	caller := callerOf(c)
	request := struct {
		ManagementNodeUUID string `json:"managementNodeUuid"`
		License            string `json:"license"`
	}{node, p.License}
	s.accept(c, "UpdateLicense", request, func(ctx context.Context) (any, error) {
		if err := caller.RequireAll("change the broker's licence"); err != nil {
			return nil, err
		}
		if err := s.liveNode(ctx, caller, node, "managementNodeUuid"); err != nil {
			return nil, err
		}
		doc, err := s.o.Licenses.Parse(p.License)
		if err != nil {
			return nil, fmt.Errorf("updateLicense.license: %w", err)
		}
		for name := range doc.Capabilities {
			if !slices.Contains(licenseCapabilities, name) {
				return nil, model.Errorf(model.ErrInvalid, "updateLicense.license: the licence names an unknown capability %q; capabilities are %s",
					shorten(name), strings.Join(licenseCapabilities, ", "))
			}
		}
		l, err := s.o.Licenses.Install(ctx, node, p.License)
		if err != nil {
			return nil, err
		}
		return gin.H{"inventory": s.licenseInventory(l)}, nil
	})
}

// liveNode refuses (400) a uuid that names no running replica.
func (s *Server) liveNode(ctx context.Context, caller model.Caller, id, field string) error {
	if !broker.IsUUID(id) {
		return model.Errorf(model.ErrInvalid, "%s: %q is not a management node uuid", field, shorten(id))
	}
	_, err := s.o.Nodes.Get(ctx, caller, id)
	if errors.Is(err, model.ErrNotFound) {
		return model.Errorf(model.ErrInvalid, "%s: %v", field, err)
	}
	return err
}
