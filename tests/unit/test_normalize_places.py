"""Ningbo address mending: rare characters OCR damages, never a correct address changed."""
import pytest

from extractors.normalize.places import STREETS, mend_address


@pytest.mark.parametrize("read,want", [
    ("浙江省宁波市北仑区新碑街道江南路525号", "浙江省宁波市北仑区新碶街道江南路525号"),
    ("浙江省宁波市北仑区新街道江南路525号", "浙江省宁波市北仑区新碶街道江南路525号"),
    ("浙江省宁波市北仑区大街道启明路446号", "浙江省宁波市北仑区大碶街道启明路446号"),
    ("浙江省宁波市郸州区下应街道中山东路397号", "浙江省宁波市鄞州区下应街道中山东路397号"),
    ("浙江省宁波市州区钟公庙街道四明中路722号", "浙江省宁波市鄞州区钟公庙街道四明中路722号"),  # 鄞 lost on a photographed form
    ("浙江省宁波市奉化区岳林街道沧海路19—8号", "浙江省宁波市奉化区岳林街道沧海路198号"),
    ("浙江省宁波市江东区百文街道明州路820号", "浙江省宁波市江东区百丈街道明州路820号"),  # 丈 read as its look-alike
    ("浙江省宁波市镇海区路驼街道新城大道77号1号楼", "浙江省宁波市镇海区骆驼街道新城大道77号1号楼"),  # 骆 read as 路 (a 200 dpi photo)
])
def test_damaged_names_are_mended(read, want):
    assert mend_address(read) == want


@pytest.mark.parametrize("street", STREETS)
def test_correct_addresses_are_left_alone(street):
    address = f"浙江省宁波市鄞州区{street}街道某某路1号"
    assert mend_address(address) == address


@pytest.mark.parametrize("address", [
    "浙江省杭州市西湖区文新街道沧海路192号",  # outside Ningbo: 文新 is no misread of Ningbo's 文教
    "浙江省绍兴市越城区府山街道文三路461号",  # nor 府山 of 浒山
    "浙江省杭州市滨江区长河街道明州路116号",
    "浙江省宁波市海曙区长河街道某某路1号",  # a street not on the list, one common character from 中河
    "浙江省宁波市北区孔浦街道某某路1号",  # a district one common character short (江北区 or 北仑区?) stays as read
])
def test_streets_not_on_the_list_are_left_alone(address):
    assert mend_address(address) == address


def test_lost_opening_bracket_is_restored():
    assert mend_address("宁波市北仑区小港街道红联路617号创新大厦)6楼") == "宁波市北仑区小港街道红联路617号(创新大厦)6楼"


@pytest.mark.parametrize(("read", "meant"), [
    ("浙江省宁波市鄞州区下应街道环城南路277号(研发国A区)8楼05室", "浙江省宁波市鄞州区下应街道环城南路277号(研发园A区)8楼05室"),
    ("宁波市江北区甬江街道文三路305号(科技国)6楼", "宁波市江北区甬江街道文三路305号(科技园)6楼"),
    ("宁波市科技国际大厦5楼", "宁波市科技国际大厦5楼"),  # 国际 stays
    ("宁波市海曙区中国银行大楼", "宁波市海曙区中国银行大楼"),
])
def test_a_park_read_as_country_is_mended_only_where_a_park_stands(read: str, meant: str) -> None:
    assert mend_address(read) == meant


@pytest.mark.parametrize(("read", "meant"), [
    ("浙江省宁波市江东区东胜街道中山东路3田17号(科技园)3楼09室", "浙江省宁波市江东区东胜街道中山东路317号(科技园)3楼09室"),
    ("浙江省宁波市奉化区岳林街道文三路430图号(众创空间)8号楼", "浙江省宁波市奉化区岳林街道文三路430号(众创空间)8号楼"),
    ("宁波市鄞州区某某路3幢17号", "宁波市鄞州区某某路3幢17号"),  # a building and its number stay
    ("宁波市鄞州区某某路口12号", "宁波市鄞州区某某路口12号"),
])
def test_a_box_glyph_inside_a_house_number_goes(read: str, meant: str) -> None:
    assert mend_address(read) == meant
