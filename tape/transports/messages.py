"""The Chinese text of the transports and of device naming, in one place for translators.

Templates use `str.format` fields: {device}, {command}, {seconds}, {detail}, {value}.
`make_error(cls, key, errno=..., **fields)` builds the `TransportError` subclass with message and
advice filled in.
"""

from __future__ import annotations

from typing import TypeVar

from tape.transport import TransportError

_GROUP_FIX = (
    "把运行本服务的用户加入设备所属的用户组（通常是 tape，有的发行版是 disk），例如 "
    "`sudo usermod -aG tape 用户名` 后重新登录；或安装 udev 规则把 /dev/sg* 交给该组。不建议用 root 运行"
)

TEMPLATES: dict[str, tuple[str, str]] = {
    "not_found": (
        "找不到磁带设备 {device}",
        "请确认驱动器已开机、线缆已连接、设备路径正确；Linux 上可用 `lsscsi -g` 查看",
    ),
    "not_found_windows": (
        "找不到磁带设备 {device}",
        "请确认驱动器已开机并出现在设备管理器的“磁带机”下，设备编号正确",
    ),
    "gone": ("磁带设备 {device} 已断开", "请检查驱动器电源和线缆，然后重新发现设备"),
    "permission_linux": ("没有权限访问磁带设备 {device}", _GROUP_FIX),
    "permission_windows": (
        "没有权限访问磁带设备 {device}",
        "请以管理员身份或 LocalSystem 账户运行本服务（磁带设备默认只允许管理员读写）",
    ),
    "in_use": (
        "磁带设备 {device} 正被其它程序占用",
        "请等本系统在这台驱动器上正在进行的操作（备份、恢复、校验、装带、擦除等）结束，"
        "或关闭其它使用它的软件（LTFS、ITDT、mt、其它备份软件）后重试",
    ),
    "timeout": (
        "磁带设备 {device} 执行 {command} 超时（{seconds:.0f} 秒）",
        "驱动器可能仍在执行该操作；请等待后重试，反复超时请检查驱动器和 HBA",
    ),
    "host_error": (
        "主机适配器报告错误（{detail}），设备 {device}",
        "请检查线缆、HBA 卡和驱动器电源；必要时重新扫描 SCSI 总线",
    ),
    "driver_error": ("SCSI 驱动报告错误（{detail}），设备 {device}", "请检查系统日志（dmesg）中的 SCSI 错误"),
    "os_error": ("访问磁带设备 {device} 失败：{detail}", "请检查系统日志；反复出现请检查驱动器和 HBA"),
    "windows_only": (
        "Windows 磁带传输（SPTI）只能在 Windows 上使用，设备 {device}",
        "在 Linux 上请使用 /dev/sgN 设备",
    ),
    "linux_only": (
        "Linux 磁带传输（SG_IO）只能在 Linux 上使用，设备 {device}",
        "在 Windows 上请使用 \\\\.\\TapeN 设备",
    ),
    "closed": ("磁带设备 {device} 已关闭", "这是程序问题，请把磁带命令日志交给维护人员"),
    # Device names from configuration (TAPE_DEVICE, TAPE_DRIVE_LETTER).
    "spec_empty": (
        "没有配置磁带设备",
        "请在 .env 中设置 TAPE_DEVICE，例如 /dev/sg3、\\\\.\\Tape0 或 emulated:0",
    ),
    "spec_invalid": (
        "无法识别的磁带设备名：{value}",
        "可用的写法：emulated:0、emulated:库名:0、/dev/sgN（Linux）、\\\\.\\TapeN（Windows）",
    ),
    "spec_st_node": (
        "不支持通过 {value} 访问磁带设备",
        "st/nst 和 sch 设备会拒绝定位类命令并自行改变设备状态；请改用同一台设备的 /dev/sgN（可用 `lsscsi -g` 查看对应关系）",
    ),
    "no_sg_node": (
        "磁带设备 {value} 没有对应的 /dev/sgN",
        "请加载 sg 内核模块（`sudo modprobe sg`，并写入 /etc/modules-load.d/ 使其开机加载）",
    ),
    "drive_letter_empty": (
        "TAPE_DRIVE_LETTER 为空",
        "请填写磁带机编号（例如 0 表示 \\\\.\\Tape0），或删除这一项改用 TAPE_DEVICE",
    ),
    "drive_letter_invalid": (
        "TAPE_DRIVE_LETTER 的值 {value} 无效：Windows 上的磁带机没有盘符",
        "请填写磁带机编号（例如 0 表示 \\\\.\\Tape0），或改用 TAPE_DEVICE=\\\\.\\Tape0；"
        "盘符只在 LTFS 把磁带挂载成文件系统时才有，本系统不通过 LTFS 访问磁带",
    ),
}

E = TypeVar("E", bound=TransportError)


def render(key: str, **fields: object) -> tuple[str, str]:
    """The (message, advice) pair of template `key` with `fields` filled in."""
    message, advice = TEMPLATES[key]
    return message.format(**fields), advice.format(**fields)


def make_error(cls: type[E], key: str, *, errno: int | None = None, **fields: object) -> E:
    """An instance of the `TransportError` subclass `cls` carrying the rendered template `key`."""
    message, advice = render(key, **fields)
    return cls(message, advice, errno=errno)
