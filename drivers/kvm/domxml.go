package kvm

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// domainXML is the part of libvirt's domain XML the driver reads.
type domainXML struct {
	XMLName xml.Name `xml:"domain"`
	Name    string   `xml:"name"`
	UUID    string   `xml:"uuid"`
	Memory  sizeXML  `xml:"memory"`
	VCPU    struct {
		Max     int32  `xml:",chardata"`
		Current string `xml:"current,attr"`
	} `xml:"vcpu"`
	// OS is the libosinfo id virt-install records, e.g. http://debian.org/debian/12.
	OS struct {
		ID string `xml:"id,attr"`
	} `xml:"metadata>libosinfo>os"`
	// Marks are the metadata elements named clone; the broker's is its clone mark (clonemark.go).
	Marks []cloneMarkXML `xml:"metadata>clone"`
	// Images and Destroyed are the image and destroyed marks (lifecyclemark.go).
	Images      []imageMarkXML     `xml:"metadata>image"`
	Destroyed   []destroyedMarkXML `xml:"metadata>destroyed"`
	Description string             `xml:"description"`
	Devices     struct {
		Disks      []diskXML  `xml:"disk"`
		Interfaces []ifaceXML `xml:"interface"`
	} `xml:"devices"`
}

// sizeXML is a number with libvirt's unit attribute (KiB when absent).
type sizeXML struct {
	Value uint64 `xml:",chardata"`
	Unit  string `xml:"unit,attr"`
}

// bytes converts by libvirt's unit table (formatdomain.html#memory-allocation).
func (s sizeXML) bytes() uint64 {
	mult := map[string]uint64{
		"b": 1, "bytes": 1,
		"kb": 1000, "k": 1024, "kib": 1024,
		"mb": 1000 * 1000, "m": 1 << 20, "mib": 1 << 20,
		"gb": 1000 * 1000 * 1000, "g": 1 << 30, "gib": 1 << 30,
		"tb": 1000 * 1000 * 1000 * 1000, "t": 1 << 40, "tib": 1 << 40,
	}[strings.ToLower(s.Unit)]
	if s.Unit == "" {
		mult = 1024
	}
	return s.Value * mult
}

type diskXML struct {
	Type   string `xml:"type,attr"`
	Device string `xml:"device,attr"`
	Driver struct {
		Type string `xml:"type,attr"`
	} `xml:"driver"`
	Source struct {
		File     string `xml:"file,attr"`
		Dev      string `xml:"dev,attr"`
		Pool     string `xml:"pool,attr"`
		Volume   string `xml:"volume,attr"`
		Protocol string `xml:"protocol,attr"`
		Name     string `xml:"name,attr"`
	} `xml:"source"`
	Target struct {
		Dev string `xml:"dev,attr"`
		Bus string `xml:"bus,attr"`
	} `xml:"target"`
	Serial  string      `xml:"serial"`
	WWN     string      `xml:"wwn"`
	Address *addressXML `xml:"address"`
}

// isDisk: device='disk' or no device attribute (libvirt's default); cdroms, floppies and luns
// are not virtual disks.
func (d diskXML) isDisk() bool { return d.Device == "" || d.Device == "disk" }

// path is the host path of a file or block disk, empty for volume and network disks.
func (d diskXML) path() string {
	if d.Source.File != "" {
		return d.Source.File
	}
	return d.Source.Dev
}

// fileName is what the normalized Disk shows as the backing: a path, "pool/volume" or
// "protocol:name" for network disks.
func (d diskXML) fileName() string {
	switch {
	case d.Source.Pool != "":
		return d.Source.Pool + "/" + d.Source.Volume
	case d.path() != "":
		return d.path()
	case d.Source.Name != "":
		return d.Source.Protocol + ":" + d.Source.Name
	}
	return ""
}

// addressXML is a device address: drive (controller/bus/unit) or pci (bus/slot) and others.
type addressXML struct {
	Type       string `xml:"type,attr"`
	Controller string `xml:"controller,attr"`
	Bus        string `xml:"bus,attr"`
	Unit       string `xml:"unit,attr"`
	Slot       string `xml:"slot,attr"`
}

type ifaceXML struct {
	Type string `xml:"type,attr"`
	MAC  struct {
		Address string `xml:"address,attr"`
	} `xml:"mac"`
	Source struct {
		Network string `xml:"network,attr"`
		Bridge  string `xml:"bridge,attr"`
		Dev     string `xml:"dev,attr"`
	} `xml:"source"`
	Model struct {
		Type string `xml:"type,attr"`
	} `xml:"model"`
}

func parseDomain(s string) (domainXML, error) {
	var d domainXML
	err := xml.Unmarshal([]byte(s), &d)
	return d, err
}

// num parses libvirt's decimal or 0x-hex address fields; absent or bad values are 0.
func num(s string) int32 {
	n, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0
	}
	return int32(n)
}
